import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  deleteSite,
  getRoiReport,
  getSite,
  listServices,
  type SiteWithAttributionT,
} from '../api/endpoints.ts';
import { ApiError } from '../api/problem.ts';
import { SiteMetricsChart } from '../components/charts.tsx';
import {
  Button,
  Card,
  ConfirmButton,
  EmptyState,
  FormError,
  Loadable,
  PageHeader,
} from '../components/ui.tsx';
import { AttributionCard } from '../components/attribution-form.tsx';
import { RoiHelp } from '../components/roi-help.tsx';
import {
  formatDate,
  groupingFor,
  presetRange,
  todayIn,
  type ReportPresetName,
} from '../lib/dates.ts';
import { formatMoney, formatNumber, formatPercent } from '../lib/money.ts';
import { useResource } from '../lib/use-resource.ts';
import { useSubmit } from '../lib/use-submit.ts';
import { downloadReportPdf } from '../api/reporting-share.ts';
import { isStaff, useCurrency, useWorkspace, useWorkspacePath } from '../session/workspace.tsx';
import { SiteDialog } from './sites-page.tsx';
import { MetricsImport } from './site/metrics-import.tsx';
import { SearchPanel } from './site/search-panel.tsx';
import { SourcesPanel } from './site/sources-panel.tsx';
import { AnnotationsPanel } from './site/annotations-panel.tsx';

const PERIODS: { value: ReportPresetName; label: string }[] = [
  { value: 'last_30_days', label: 'Last 30 days' },
  { value: 'last_90_days', label: 'Last 90 days' },
  { value: 'last_12_months', label: 'Last 12 full months' },
];

function SiteOverview({
  site,
  reloadSite,
}: {
  site: SiteWithAttributionT;
  reloadSite: () => void;
}) {
  const { role, settings } = useWorkspace();
  const path = useWorkspacePath();
  const navigate = useNavigate();
  const [preset, setPreset] = useState<ReportPresetName>('last_90_days');
  const [editing, setEditing] = useState(false);
  const period = presetRange(preset, todayIn(settings?.timezone));
  const report = useResource(
    (signal) =>
      getRoiReport({ ...period, groupBy: groupingFor(period), siteId: [site.id] }, signal),
    [site.id, period.from, period.to],
  );
  const services = useResource(() => listServices({ siteId: site.id }), [site.id]);
  const remove = useSubmit(async () => {
    await deleteSite(site.id);
    await navigate(path('sites'));
  });
  const staff = isStaff(role);
  const currency = useCurrency();
  // Bumped when a Google sync ends: the panels read the site's data again.
  const [synced, setSynced] = useState(0);
  const pdf = useSubmit(() => downloadReportPdf({ ...period, siteId: [site.id] }));

  return (
    <>
      <PageHeader
        title={site.name}
        actions={
          <>
            <Button onClick={() => void pdf.run()} busy={pdf.busy}>
              Download PDF
            </Button>
            {staff && (
              <Link
                className="btn btn-secondary"
                to={`${path('shared-reports')}?siteId=${site.id}`}
              >
                Share
              </Link>
            )}
            {staff && (
              <>
                <Button onClick={() => setEditing(true)}>Edit</Button>
                <ConfirmButton
                  variant="danger"
                  busy={remove.busy}
                  question={`Delete ${site.name}? Its metrics and services are deleted too.`}
                  onConfirm={() => void remove.run()}
                >
                  Delete
                </ConfirmButton>
              </>
            )}
          </>
        }
      >
        <a href={`https://${site.domain}`} target="_blank" rel="noreferrer noopener">
          {site.domain}
        </a>
        {site.clientName && <> · client: {site.clientName}</>}
      </PageHeader>
      <FormError error={remove.error} />
      <FormError error={pdf.error} />
      <Card
        title="Performance"
        actions={
          <div className="field field-inline">
            <label htmlFor="site-period">Period</label>
            <select
              id="site-period"
              value={preset}
              onChange={(e) => setPreset(e.target.value as typeof preset)}
            >
              {PERIODS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
        }
      >
        <Loadable resource={report} label="metrics">
          {(r) => (
            <>
              <dl className="stats">
                <div>
                  <dt>Revenue</dt>
                  <dd>{formatMoney(r.totals.revenue, r.currency)}</dd>
                </div>
                <div>
                  <dt>Cost</dt>
                  <dd>{formatMoney(r.totals.cost, r.currency)}</dd>
                </div>
                <div>
                  <dt>Value</dt>
                  <dd>{formatMoney(r.totals.value, r.currency)}</dd>
                </div>
                <div>
                  <dt>
                    ROI{' '}
                    <RoiHelp
                      figures={{
                        value: r.totals.value,
                        cost: r.totals.cost,
                        roi: r.totals.roi,
                        currency: r.currency,
                      }}
                    />
                  </dt>
                  <dd data-testid="site-roi">{formatPercent(r.totals.roi)}</dd>
                </div>
                <div>
                  <dt>Sessions</dt>
                  <dd>{formatNumber(r.totals.sessions)}</dd>
                </div>
                <div>
                  <dt>Clicks</dt>
                  <dd>{formatNumber(r.totals.clicks)}</dd>
                </div>
                <div>
                  <dt>Avg. position</dt>
                  <dd>{formatNumber(r.totals.position, 1)}</dd>
                </div>
              </dl>
              {r.totals.sessions === 0 && r.totals.clicks === 0 && r.totals.revenue === 0 ? (
                <EmptyState title="No metrics in this period">
                  {staff && <p>Import a CSV or a Search Console export below.</p>}
                </EmptyState>
              ) : (
                <SiteMetricsChart report={r} />
              )}
            </>
          )}
        </Loadable>
      </Card>
      <SearchPanel siteId={site.id} period={period} refreshKey={synced} />
      {staff && (
        <SourcesPanel
          siteId={site.id}
          onSynced={() => {
            report.reload();
            setSynced((n) => n + 1);
          }}
        />
      )}
      {staff && (
        <div className="mt">
          <MetricsImport siteId={site.id} onImported={report.reload} />
        </div>
      )}
      <AttributionCard
        key={site.id}
        site={site}
        currency={currency}
        timeZone={settings?.timezone}
        canEdit={staff}
        onSaved={() => {
          report.reload();
          reloadSite();
        }}
      />
      <Card
        title="Services"
        className="mt"
        actions={staff && <Link to={`${path('services')}?site=${site.id}`}>Manage services</Link>}
      >
        <Loadable resource={services} label="services">
          {(page) =>
            page.data.length === 0 ? (
              <EmptyState title="No services recorded for this site" />
            ) : (
              <ul className="plain-list">
                {page.data.map((s) => (
                  <li key={s.id}>
                    <strong>{s.name}</strong> · {s.category} ·{' '}
                    {s.amount === undefined
                      ? // A client is not shown the agency's hourly rate.
                        'billed by the hour'
                      : `${formatMoney(s.amount, s.currency ?? currency)}${
                          s.billing === 'monthly'
                            ? ' a month'
                            : s.billing === 'hourly'
                              ? ' an hour'
                              : ' once'
                        }`}{' '}
                    · from {formatDate(s.startDate)}
                    {s.endDate ? ` to ${formatDate(s.endDate)}` : ''}
                  </li>
                ))}
              </ul>
            )
          }
        </Loadable>
      </Card>
      <AnnotationsPanel siteId={site.id} staff={staff} />
      <SiteDialog
        open={editing}
        site={site}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          reloadSite();
        }}
      />
    </>
  );
}

export function SitePage() {
  const { siteId = '' } = useParams();
  const path = useWorkspacePath();
  const site = useResource(() => getSite(siteId), [siteId]);
  if (site.error instanceof ApiError && site.error.status === 404) {
    return (
      <EmptyState title="Site not found" heading="h1">
        <p>
          It may have been deleted, or it is not shared with you.{' '}
          <Link to={path('sites')}>Back to sites</Link>
        </p>
      </EmptyState>
    );
  }
  return (
    <Loadable resource={site} label="the site">
      {(s) => <SiteOverview site={s} reloadSite={site.reload} />}
    </Loadable>
  );
}
