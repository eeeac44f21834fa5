import { useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { MAX_IMPORT_BYTES } from '../../shared/schemas/roi.ts';
import {
  deleteSite,
  getRoiReport,
  getSite,
  importMetricsFile,
  listServices,
  type ImportResultT,
  type SiteT,
} from '../api/endpoints.ts';
import { ApiError, describeError } from '../api/problem.ts';
import { SiteMetricsChart } from '../components/charts.tsx';
import { DataTable } from '../components/data-table.tsx';
import {
  Alert,
  Button,
  Card,
  ConfirmButton,
  EmptyState,
  FormError,
  Loadable,
  PageHeader,
} from '../components/ui.tsx';
import { groupingFor, presetPeriod, type PeriodPreset } from '../lib/dates.ts';
import { parseRowErrors } from '../lib/import-errors.ts';
import { formatMoney, formatNumber, formatPercent } from '../lib/money.ts';
import { useResource } from '../lib/use-resource.ts';
import { useSubmit } from '../lib/use-submit.ts';
import { downloadReportPdf } from '../api/reporting-share.ts';
import { isStaff, useCurrency, useWorkspace, useWorkspacePath } from '../session/workspace.tsx';
import { SiteDialog } from './sites-page.tsx';
import { AnnotationsPanel } from './site/annotations-panel.tsx';

type ImportState =
  | { state: 'idle' }
  | { state: 'uploading'; fileName: string; progress: number }
  | { state: 'processing'; fileName: string }
  | { state: 'done'; fileName: string; result: ImportResultT }
  | { state: 'failed'; fileName: string; error: unknown };

/** Upload a CSV or Search Console export: progress while sending, then the counts or every bad row. */
function MetricsImport({ siteId, onImported }: { siteId: string; onImported: () => void }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState<ImportState>({ state: 'idle' });
  const [dragging, setDragging] = useState(false);

  const upload = async (file: File) => {
    if (file.size > MAX_IMPORT_BYTES) {
      setStatus({
        state: 'failed',
        fileName: file.name,
        error: new Error(
          `The file is ${(file.size / 1048576).toFixed(1)} MB; the limit is ${MAX_IMPORT_BYTES / 1048576} MB a request. Split it and import the parts.`,
        ),
      });
      return;
    }
    setStatus({ state: 'uploading', fileName: file.name, progress: 0 });
    try {
      const result = await importMetricsFile(siteId, file, (p) =>
        setStatus((s) =>
          s.state === 'uploading'
            ? p >= 1
              ? { state: 'processing', fileName: file.name }
              : { ...s, progress: p }
            : s,
        ),
      );
      setStatus({ state: 'done', fileName: file.name, result });
      onImported();
    } catch (error) {
      setStatus({ state: 'failed', fileName: file.name, error });
    } finally {
      if (inputRef.current) inputRef.current.value = '';
    }
  };
  const busy = status.state === 'uploading' || status.state === 'processing';
  const rowErrors =
    status.state === 'failed' && status.error instanceof ApiError
      ? parseRowErrors(status.error.fieldErrors)
      : [];

  return (
    <Card title="Import metrics">
      <div
        className={`dropzone${dragging ? ' dropzone-active' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const file = e.dataTransfer.files[0];
          if (file && !busy) void upload(file);
        }}
      >
        <label htmlFor="metrics-file" className="dropzone-label">
          Choose a CSV file or a Google Search Console performance export
        </label>
        <input
          ref={inputRef}
          id="metrics-file"
          type="file"
          accept=".csv,text/csv"
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void upload(file);
          }}
        />
        <p className="muted small">
          CSV: a header row naming any of{' '}
          <code>date, sessions, conversions, revenue, clicks, impressions, position</code> (revenue
          in {useCurrency()}, e.g. <code>1234.56</code>). Search Console: the <code>Dates.csv</code>{' '}
          of a performance export, as is. Rows replace the same dates' values; one bad row rejects
          the whole file. Up to 100,000 rows or 10 MB.
        </p>
      </div>
      <div aria-live="polite">
        {status.state === 'uploading' && (
          <div className="progress-row">
            <label htmlFor="import-progress">Uploading {status.fileName}…</label>
            <progress id="import-progress" max={1} value={status.progress} />
            <span>{Math.round(status.progress * 100)}%</span>
          </div>
        )}
        {status.state === 'processing' && (
          <div className="progress-row">
            <label htmlFor="import-progress">Importing {status.fileName}…</label>
            <progress id="import-progress" />
          </div>
        )}
        {status.state === 'done' && (
          <Alert kind="success" title={`Imported ${status.fileName}`}>
            <span data-testid="import-result">
              {formatNumber(status.result.received)} rows received:{' '}
              {formatNumber(status.result.inserted)} new days, {formatNumber(status.result.updated)}{' '}
              updated.
            </span>
          </Alert>
        )}
        {status.state === 'failed' && (
          <Alert kind="error" title={`${status.fileName} was not imported`}>
            <p>
              {describeError(status.error)}
              {rowErrors.length > 0 && ' Nothing was written. Fix these rows and import again:'}
            </p>
            {rowErrors.length > 0 && (
              <div className="table-scroll">
                <DataTable
                  variant="compact"
                  testId="import-errors"
                  rows={rowErrors.slice(0, 200)}
                  rowKey={(_e, i) => i}
                  columns={[
                    { header: 'Line', cell: (e) => e.line ?? '—' },
                    { header: 'Field', cell: (e) => (e.field ? <code>{e.field}</code> : '—') },
                    { header: 'Problem', cell: (e) => e.message },
                  ]}
                />
                {rowErrors.length > 200 && (
                  <p className="muted">…and {rowErrors.length - 200} more.</p>
                )}
              </div>
            )}
          </Alert>
        )}
      </div>
    </Card>
  );
}

const PERIODS: { value: Exclude<PeriodPreset, 'custom'>; label: string }[] = [
  { value: '30d', label: 'Last 30 days' },
  { value: '90d', label: 'Last 90 days' },
  { value: '12m', label: 'Last 12 months' },
];

function SiteOverview({ site, reloadSite }: { site: SiteT; reloadSite: () => void }) {
  const { role } = useWorkspace();
  const path = useWorkspacePath();
  const navigate = useNavigate();
  const [preset, setPreset] = useState<Exclude<PeriodPreset, 'custom'>>('90d');
  const [editing, setEditing] = useState(false);
  const period = presetPeriod(preset);
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
                  <dt>ROI</dt>
                  <dd>{formatPercent(r.totals.roi)}</dd>
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
      {staff && (
        <div className="mt">
          <MetricsImport siteId={site.id} onImported={report.reload} />
        </div>
      )}
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
                    {formatMoney(s.amount, s.currency ?? currency)}
                    {s.billing === 'monthly'
                      ? ' a month'
                      : s.billing === 'hourly'
                        ? ' an hour'
                        : ' once'}{' '}
                    · from {s.startDate}
                    {s.endDate ? ` to ${s.endDate}` : ''}
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
      <EmptyState title="Site not found">
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
