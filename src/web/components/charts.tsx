import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ReferenceDot,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { RoiReportT } from '../api/endpoints.ts';
import { formatDateRange, seriesLabel } from '../lib/dates.ts';
import { formatMoney, formatNumber, formatPercent } from '../lib/money.ts';
import { cumulativeSeries, paybackPoint } from '../lib/roi.ts';

const COLORS = {
  revenue: '#2563eb',
  value: '#2563eb',
  cost: '#f59e0b',
  profit: '#16a34a',
  loss: '#dc2626',
  sessions: '#7c3aed',
  clicks: '#0891b2',
};

/** Value and cost bars per period with the profit line: what the work earned and what it cost. */
export function ValueCostChart({ report }: { report: RoiReportT }) {
  const data = report.series.map((s) => ({
    label: seriesLabel(s.key, report),
    value: s.value,
    cost: s.cost,
    profit: s.profit,
  }));
  const money = (v: number) => formatMoney(v, report.currency, { compact: true });
  return (
    <figure className="chart" aria-label="Value against cost over time">
      <ResponsiveContainer width="100%" height={300}>
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} minTickGap={16} />
          <YAxis tickFormatter={money} tick={{ fontSize: 12 }} width={72} />
          <Tooltip formatter={(v) => formatMoney(Number(v), report.currency)} />
          <Legend />
          <Bar
            dataKey="value"
            name="Value"
            fill={COLORS.value}
            radius={[3, 3, 0, 0]}
            isAnimationActive={false}
          />
          <Bar
            dataKey="cost"
            name="Cost"
            fill={COLORS.cost}
            radius={[3, 3, 0, 0]}
            isAnimationActive={false}
          />
          <Line
            dataKey="profit"
            name="Profit"
            stroke={COLORS.profit}
            strokeWidth={2}
            dot={data.length <= 31}
            type="linear"
            isAnimationActive={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
      <figcaption className="sr-only">
        Credited value, cost and profit for each period from{' '}
        {formatDateRange(report.from, report.to)}.
      </figcaption>
    </figure>
  );
}

/**
 * Value and cost added up from the first period on, with the break-even point marked: the first
 * period where the value credited so far covers the cost so far (payback). The sentence under the
 * chart says the same for anyone who does not see it.
 */
export function CumulativeValueChart({ report }: { report: RoiReportT }) {
  const cumulative = cumulativeSeries(report.series);
  const data = cumulative.map((p) => ({ ...p, label: seriesLabel(p.key, report) }));
  const payback = paybackPoint(cumulative);
  const money = (v: number) => formatMoney(v, report.currency, { compact: true });
  const point = payback.kind === 'paid_back' ? data[payback.index] : undefined;
  return (
    <figure className="chart" aria-label="Cumulative value against cost">
      <ResponsiveContainer width="100%" height={300}>
        <LineChart data={data} margin={{ top: 24, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} minTickGap={16} />
          <YAxis tickFormatter={money} tick={{ fontSize: 12 }} width={72} />
          <Tooltip formatter={(v) => formatMoney(Number(v), report.currency)} />
          <Legend />
          <Line
            dataKey="value"
            name="Value so far"
            stroke={COLORS.value}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
          <Line
            dataKey="cost"
            name="Cost so far"
            stroke={COLORS.cost}
            strokeWidth={2}
            strokeDasharray="6 3"
            dot={false}
            isAnimationActive={false}
          />
          {point && (
            <ReferenceLine
              x={point.label}
              stroke={COLORS.profit}
              strokeDasharray="4 4"
              label={{ value: 'Break-even', position: 'top', fontSize: 12 }}
            />
          )}
          {point && (
            <ReferenceDot
              x={point.label}
              y={point.value}
              r={5}
              fill={COLORS.profit}
              stroke="#fff"
              className="payback-dot"
            />
          )}
        </LineChart>
      </ResponsiveContainer>
      <figcaption className="small" data-testid="payback">
        {payback.kind === 'paid_back' && point
          ? `Paid back ${report.groupBy === 'day' ? 'on' : report.groupBy === 'week' ? 'in the week of' : 'in'} ${point.label}: by then the value credited (${formatMoney(point.value, report.currency)}) covered the cost (${formatMoney(point.cost, report.currency)}).`
          : payback.kind === 'not_yet'
            ? `Not paid back yet in this period: the value credited covers ${formatPercent(payback.share, 0)} of the cost.`
            : 'No cost in this period, so there is nothing to pay back.'}
      </figcaption>
    </figure>
  );
}

/** ROI per site as horizontal bars, losses in red; sites without cost have no ROI and are listed apart. */
export function RoiBySiteChart({
  report,
  siteName,
}: {
  report: RoiReportT;
  siteName: (id: string, label: string) => string;
}) {
  const data = report.series
    .filter((s) => s.roi !== null)
    .map((s) => ({ name: siteName(s.key, s.label), roi: Math.round((s.roi ?? 0) * 1000) / 10 }))
    .sort((a, b) => b.roi - a.roi);
  const noCost = report.series.filter((s) => s.roi === null).map((s) => siteName(s.key, s.label));
  return (
    <figure className="chart" aria-label="ROI by site">
      {data.length === 0 ? (
        <p className="muted chart-empty">
          No site has a cost in this period, so no ROI can be computed yet.
        </p>
      ) : (
        <ResponsiveContainer width="100%" height={Math.max(160, data.length * 36 + 40)}>
          <BarChart
            data={data}
            layout="vertical"
            margin={{ top: 8, right: 16, bottom: 0, left: 8 }}
          >
            <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e5e7eb" />
            <XAxis type="number" tickFormatter={(v: number) => `${v}%`} tick={{ fontSize: 12 }} />
            <YAxis type="category" dataKey="name" width={120} tick={{ fontSize: 12 }} />
            <Tooltip formatter={(v) => `${formatNumber(Number(v), 1)}%`} />
            <ReferenceLine x={0} stroke="#9ca3af" />
            <Bar dataKey="roi" name="ROI" radius={[0, 3, 3, 0]} isAnimationActive={false}>
              {data.map((d) => (
                <Cell key={d.name} fill={d.roi >= 0 ? COLORS.profit : COLORS.loss} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      )}
      {noCost.length > 0 && (
        <figcaption className="muted small">
          No cost recorded (ROI undefined): {noCost.join(', ')}
        </figcaption>
      )}
    </figure>
  );
}

/** A site's traffic over time: sessions and clicks, with revenue on its own axis. */
export function SiteMetricsChart({ report }: { report: RoiReportT }) {
  const data = report.series.map((s) => ({
    label: seriesLabel(s.key, report),
    sessions: s.sessions,
    clicks: s.clicks,
    revenue: s.revenue,
  }));
  return (
    <figure className="chart" aria-label="Site metrics over time">
      <ResponsiveContainer width="100%" height={280}>
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} minTickGap={16} />
          <YAxis
            yAxisId="count"
            tick={{ fontSize: 12 }}
            width={56}
            tickFormatter={(v: number) => formatNumber(v)}
          />
          <YAxis
            yAxisId="money"
            orientation="right"
            tick={{ fontSize: 12 }}
            width={72}
            tickFormatter={(v: number) => formatMoney(v, report.currency, { compact: true })}
          />
          <Tooltip
            formatter={(v, name) =>
              name === 'Revenue' ? formatMoney(Number(v), report.currency) : formatNumber(Number(v))
            }
          />
          <Legend />
          <Bar
            yAxisId="money"
            dataKey="revenue"
            name="Revenue"
            fill={COLORS.revenue}
            opacity={0.35}
            isAnimationActive={false}
          />
          <Line
            yAxisId="count"
            dataKey="sessions"
            name="Sessions"
            stroke={COLORS.sessions}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
          <Line
            yAxisId="count"
            dataKey="clicks"
            name="Clicks"
            stroke={COLORS.clicks}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
      <figcaption className="sr-only">Sessions, clicks and revenue per period.</figcaption>
    </figure>
  );
}
