import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { downloadRoiReport, getRoiReport, listSites, type RoiReportT } from '../api/endpoints.ts';
import { RevenueCostChart, RoiBySiteChart } from '../components/charts.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Button, Card, EmptyState, FormError, Loadable, PageHeader } from '../components/ui.tsx';
import { useSubmit } from '../lib/use-submit.ts';
import {
  groupingFor,
  presetPeriod,
  previousPeriod,
  type Period,
  type PeriodPreset,
} from '../lib/dates.ts';
import { formatMoney, formatNumber, formatPercent, relativeChange } from '../lib/money.ts';
import { useResource } from '../lib/use-resource.ts';
import { downloadReportPdf } from '../api/reporting-share.ts';
import { isStaff, useWorkspace, useWorkspacePath } from '../session/workspace.tsx';

const PRESETS: { value: PeriodPreset; label: string }[] = [
  { value: '30d', label: 'Last 30 days' },
  { value: '90d', label: 'Last 90 days' },
  { value: '12m', label: 'Last 12 months' },
  { value: 'ytd', label: 'Year to date' },
  { value: 'custom', label: 'Custom…' },
];

interface DashboardData {
  current: RoiReportT;
  previous: RoiReportT;
  bySite: RoiReportT;
}

/** The period and site filter live in the URL, so a view can be bookmarked and shared. */
function useDashboardFilters() {
  const [params, setParams] = useSearchParams();
  const preset = (params.get('period') as PeriodPreset | null) ?? '12m';
  const siteId = params.get('site') ?? '';
  const period: Period =
    preset === 'custom'
      ? {
          from: params.get('from') ?? presetPeriod('30d').from,
          to: params.get('to') ?? presetPeriod('30d').to,
        }
      : presetPeriod(
          PRESETS.some((p) => p.value === preset)
            ? (preset as Exclude<PeriodPreset, 'custom'>)
            : '12m',
        );
  // From the address bar, not the rendered params: two quick changes must not undo each other.
  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };
  return { preset, siteId, period, update };
}

function Kpi({
  label,
  value,
  change,
  changeText,
  goodWhenUp = true,
  testId,
}: {
  label: string;
  value: string;
  change: number | null;
  changeText?: string;
  goodWhenUp?: boolean;
  testId: string;
}) {
  const tone =
    change === null || change === 0 ? 'flat' : change > 0 === goodWhenUp ? 'up-good' : 'down-bad';
  const arrow = change === null || change === 0 ? '' : change > 0 ? '▲' : '▼';
  return (
    <div className="kpi" data-testid={testId}>
      <div className="kpi-label">{label}</div>
      <div className="kpi-value">{value}</div>
      <div className={`kpi-change kpi-${tone}`}>
        {change === null
          ? 'no previous data'
          : `${arrow} ${changeText ?? formatPercent(Math.abs(change))} vs previous period`}
      </div>
    </div>
  );
}

export function DashboardPage() {
  const { role } = useWorkspace();
  const path = useWorkspacePath();
  const { preset, siteId, period, update } = useDashboardFilters();
  const sites = useResource(() => listSites(), []);
  const siteIds = useMemo(() => (siteId ? [siteId] : undefined), [siteId]);
  const report = useResource<DashboardData>(
    async (signal) => {
      const prev = previousPeriod(period);
      const [current, previous, bySite] = await Promise.all([
        getRoiReport({ ...period, groupBy: groupingFor(period), siteId: siteIds }, signal),
        getRoiReport({ ...prev, groupBy: 'month', siteId: siteIds }, signal),
        getRoiReport({ ...period, groupBy: 'site', siteId: siteIds }, signal),
      ]);
      return { current, previous, bySite };
    },
    [period.from, period.to, siteIds],
  );
  const exportCsv = useSubmit(() =>
    downloadRoiReport({ ...period, groupBy: groupingFor(period), siteId: siteIds }),
  );
  const exportPdf = useSubmit(() => downloadReportPdf({ ...period, siteId: siteIds }));
  const siteName = (id: string, label: string) =>
    sites.data?.data.find((s) => s.id === id)?.name ?? label;
  const noSites = sites.data && sites.data.data.length === 0;

  return (
    <>
      <PageHeader
        title="Dashboard"
        actions={
          <>
            <Button onClick={() => void exportPdf.run()} busy={exportPdf.busy}>
              Download PDF
            </Button>
            <Button onClick={() => void exportCsv.run()} busy={exportCsv.busy}>
              Download CSV
            </Button>
            {isStaff(role) && (
              <Link className="btn btn-secondary" to={path('shared-reports')}>
                Share
              </Link>
            )}
          </>
        }
      >
        What the SEO work earned against what it cost.
      </PageHeader>
      <FormError error={exportCsv.error} />
      <FormError error={exportPdf.error} />
      <form className="filters" aria-label="Report filters" onSubmit={(e) => e.preventDefault()}>
        <div className="field field-inline">
          <label htmlFor="period">Period</label>
          <select
            id="period"
            value={preset}
            onChange={(e) =>
              update({
                period: e.target.value,
                ...(e.target.value === 'custom'
                  ? { from: period.from, to: period.to }
                  : { from: null, to: null }),
              })
            }
          >
            {PRESETS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        {preset === 'custom' && (
          <>
            <div className="field field-inline">
              <label htmlFor="from">From</label>
              <input
                id="from"
                type="date"
                value={period.from}
                max={period.to}
                onChange={(e) => e.target.value && update({ from: e.target.value })}
              />
            </div>
            <div className="field field-inline">
              <label htmlFor="to">To</label>
              <input
                id="to"
                type="date"
                value={period.to}
                min={period.from}
                onChange={(e) => e.target.value && update({ to: e.target.value })}
              />
            </div>
          </>
        )}
        <div className="field field-inline">
          <label htmlFor="site-filter">Site</label>
          <select
            id="site-filter"
            value={siteId}
            onChange={(e) => update({ site: e.target.value || null })}
          >
            <option value="">All sites</option>
            {sites.data?.data.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
      </form>

      {noSites ? (
        <Card>
          <EmptyState title="No sites yet">
            {isStaff(role) ? (
              <p>
                <Link to={path('sites')}>Add your first site</Link>, import its metrics and record
                the services delivered: the ROI appears here.
              </p>
            ) : (
              <p>No site has been shared with you yet.</p>
            )}
          </EmptyState>
        </Card>
      ) : (
        <Loadable resource={report} label="the report">
          {({ current, previous, bySite }) => {
            const t = current.totals;
            const p = previous.totals;
            const roiDelta = t.roi !== null && p.roi !== null ? t.roi - p.roi : null;
            const money = (v: number) => formatMoney(v, current.currency);
            return (
              <div aria-busy={report.loading} className={report.loading ? 'refreshing' : undefined}>
                <div className="kpis" aria-live="polite">
                  <Kpi
                    testId="kpi-revenue"
                    label="Revenue"
                    value={money(t.revenue)}
                    change={relativeChange(t.revenue, p.revenue)}
                  />
                  <Kpi
                    testId="kpi-cost"
                    label="Cost"
                    value={money(t.cost)}
                    change={relativeChange(t.cost, p.cost)}
                    goodWhenUp={false}
                  />
                  <Kpi
                    testId="kpi-profit"
                    label="Profit"
                    value={money(t.profit)}
                    change={relativeChange(t.profit, p.profit)}
                  />
                  <Kpi
                    testId="kpi-roi"
                    label="ROI"
                    value={formatPercent(t.roi)}
                    change={roiDelta}
                    changeText={
                      roiDelta === null
                        ? undefined
                        : `${formatNumber(Math.abs(roiDelta) * 100, 1)} pts`
                    }
                  />
                </div>
                <p className="muted small">
                  {current.from} to {current.to}, compared with {previous.from} to {previous.to}.
                  Sessions {formatNumber(t.sessions)} · conversions {formatNumber(t.conversions)} ·
                  clicks {formatNumber(t.clicks)} · avg. position {formatNumber(t.position, 1)}
                </p>
                <div className="grid-charts">
                  <Card title="Revenue vs cost">
                    <RevenueCostChart report={current} />
                  </Card>
                  <Card title="ROI by site">
                    <RoiBySiteChart report={bySite} siteName={siteName} />
                  </Card>
                </div>
                <Card title="By site" className="mt">
                  <DataTable
                    testId="site-table"
                    rows={bySite.series}
                    rowKey={(s) => s.key}
                    empty={<EmptyState title="No data for this period" />}
                    columns={[
                      {
                        header: 'Site',
                        cell: (s) => (
                          <Link to={path(`sites/${s.key}`)}>{siteName(s.key, s.label)}</Link>
                        ),
                      },
                      { header: 'Revenue', kind: 'number', cell: (s) => money(s.revenue) },
                      { header: 'Cost', kind: 'number', cell: (s) => money(s.cost) },
                      {
                        header: 'Profit',
                        kind: 'number',
                        cell: (s) => money(s.profit),
                        cellClassName: (s) => (s.profit < 0 ? 'text-bad' : undefined),
                      },
                      { header: 'ROI', kind: 'number', cell: (s) => formatPercent(s.roi) },
                    ]}
                  />
                </Card>
              </div>
            );
          }}
        </Loadable>
      )}
    </>
  );
}
