import { useState } from 'react';
import {
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { getRoiReport, listSearchTerms, type RoiReportT } from '../../api/endpoints.ts';
import { chartChrome, useChartPalette } from '../../components/charts.tsx';
import { DataTable } from '../../components/data-table.tsx';
import { Card, EmptyState, Loadable } from '../../components/ui.tsx';
import { groupingFor, periodLabel, type Period } from '../../lib/dates.ts';
import { formatNumber, formatPercent } from '../../lib/money.ts';
import { useResource } from '../../lib/use-resource.ts';

const ctrOf = (clicks: number, impressions: number) =>
  impressions > 0 ? clicks / impressions : null;

/** Clicks and impressions over time, and CTR and average position (lower is better) beside them. */
function SearchCharts({ report }: { report: RoiReportT }) {
  const palette = useChartPalette();
  const chrome = chartChrome(palette);
  const data = report.series.map((s) => ({
    label: periodLabel(s.key),
    clicks: s.clicks,
    impressions: s.impressions,
    ctr: ctrOf(s.clicks, s.impressions),
    position: s.position,
  }));
  return (
    <div className="search-charts">
      <figure className="chart" aria-label="Clicks and impressions over time">
        <ResponsiveContainer width="100%" height={240}>
          <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
            <CartesianGrid {...chrome.grid} vertical={false} />
            <XAxis dataKey="label" {...chrome.axis} minTickGap={16} />
            <YAxis
              yAxisId="clicks"
              {...chrome.axis}
              width={56}
              tickFormatter={(v: number) => formatNumber(v)}
            />
            <YAxis
              yAxisId="impressions"
              orientation="right"
              {...chrome.axis}
              width={64}
              tickFormatter={(v: number) => formatNumber(v)}
            />
            <Tooltip
              formatter={(v) => formatNumber(Number(v))}
              {...chrome.tooltip}
              cursor={chrome.lineCursor}
            />
            <Legend {...chrome.legend} />
            <Line
              yAxisId="clicks"
              dataKey="clicks"
              name="Clicks"
              stroke={palette.clicks}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
            <Line
              yAxisId="impressions"
              dataKey="impressions"
              name="Impressions"
              stroke={palette.sessions}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          </ComposedChart>
        </ResponsiveContainer>
        <figcaption className="sr-only">Clicks and impressions per period.</figcaption>
      </figure>
      <figure className="chart" aria-label="CTR and average position over time">
        <ResponsiveContainer width="100%" height={240}>
          <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
            <CartesianGrid {...chrome.grid} vertical={false} />
            <XAxis dataKey="label" {...chrome.axis} minTickGap={16} />
            <YAxis
              yAxisId="ctr"
              {...chrome.axis}
              width={56}
              tickFormatter={(v: number) => formatPercent(v, 0)}
            />
            <YAxis
              yAxisId="position"
              orientation="right"
              reversed
              {...chrome.axis}
              width={48}
              tickFormatter={(v: number) => formatNumber(v, 0)}
            />
            <Tooltip
              formatter={(v, name) =>
                name === 'CTR' ? formatPercent(Number(v), 2) : formatNumber(Number(v), 1)
              }
              {...chrome.tooltip}
              cursor={chrome.lineCursor}
            />
            <Legend {...chrome.legend} />
            <Line
              yAxisId="ctr"
              dataKey="ctr"
              name="CTR"
              stroke={palette.profit}
              strokeWidth={2}
              dot={false}
              connectNulls
              isAnimationActive={false}
            />
            <Line
              yAxisId="position"
              dataKey="position"
              name="Avg. position"
              stroke={palette.cost}
              strokeWidth={2}
              dot={false}
              connectNulls
              isAnimationActive={false}
            />
          </ComposedChart>
        </ResponsiveContainer>
        <figcaption className="sr-only">
          Click-through rate and average position per period; a lower position is better.
        </figcaption>
      </figure>
    </div>
  );
}

/** The top queries or pages of the period, as Search Console reported them. */
function TopTerms({ siteId, period, refreshKey }: SearchPanelProps) {
  const [dimension, setDimension] = useState<'query' | 'page'>('query');
  const terms = useResource(
    (signal) =>
      listSearchTerms(siteId, { ...period, dimension, limit: 25 }, signal).then((r) => r.data),
    [siteId, period.from, period.to, dimension, refreshKey],
  );
  return (
    <div className="top-terms">
      <div className="field field-inline">
        <label htmlFor="search-terms-dimension">Top</label>
        <select
          id="search-terms-dimension"
          value={dimension}
          onChange={(e) => setDimension(e.target.value as 'query' | 'page')}
        >
          <option value="query">queries</option>
          <option value="page">pages</option>
        </select>
      </div>
      <Loadable resource={terms} label={dimension === 'query' ? 'queries' : 'pages'}>
        {(rows) => (
          <DataTable
            testId="search-terms"
            variant="compact"
            rows={rows}
            rowKey={(t) => t.key}
            empty={
              <p className="muted">
                No {dimension === 'query' ? 'queries' : 'pages'} in this period.
              </p>
            }
            columns={[
              {
                header: dimension === 'query' ? 'Query' : 'Page',
                cell: (t) => <span className="term-key">{t.key}</span>,
              },
              { header: 'Clicks', kind: 'number', cell: (t) => formatNumber(t.clicks) },
              { header: 'Impressions', kind: 'number', cell: (t) => formatNumber(t.impressions) },
              { header: 'CTR', kind: 'number', cell: (t) => formatPercent(t.ctr, 1) },
              { header: 'Position', kind: 'number', cell: (t) => formatNumber(t.position, 1) },
            ]}
          />
        )}
      </Loadable>
    </div>
  );
}

interface SearchPanelProps {
  siteId: string;
  period: Period;
  /** Changes when the site's data changed (a sync ended): everything is read again. */
  refreshKey?: number;
}

/**
 * Organic search on the site page: clicks, impressions, CTR and average position over the chosen
 * period (from the ROI report's series, which holds Search Console's daily totals), and the top
 * queries and pages. Clients see it for the sites granted to them.
 */
export function SearchPanel({ siteId, period, refreshKey = 0 }: SearchPanelProps) {
  const report = useResource(
    (signal) => getRoiReport({ ...period, groupBy: groupingFor(period), siteId: [siteId] }, signal),
    [siteId, period.from, period.to, refreshKey],
  );
  return (
    <Card title="Search" className="mt">
      <Loadable resource={report} label="search performance">
        {(r) => (
          <div data-testid="search-panel">
            <dl className="stats">
              <div>
                <dt>Clicks</dt>
                <dd data-testid="search-clicks">{formatNumber(r.totals.clicks)}</dd>
              </div>
              <div>
                <dt>Impressions</dt>
                <dd data-testid="search-impressions">{formatNumber(r.totals.impressions)}</dd>
              </div>
              <div>
                <dt>CTR</dt>
                <dd data-testid="search-ctr">
                  {formatPercent(ctrOf(r.totals.clicks, r.totals.impressions), 2)}
                </dd>
              </div>
              <div>
                <dt>Avg. position</dt>
                <dd data-testid="search-position">{formatNumber(r.totals.position, 1)}</dd>
              </div>
            </dl>
            {r.totals.impressions === 0 ? (
              <EmptyState title="No Search Console data in this period">
                <p>Link the site to its Search Console property (Sources) or import an export.</p>
              </EmptyState>
            ) : (
              <SearchCharts report={r} />
            )}
            <TopTerms siteId={siteId} period={period} refreshKey={refreshKey} />
          </div>
        )}
      </Loadable>
    </Card>
  );
}
