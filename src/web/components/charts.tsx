import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ComposedChart,
  Legend,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { RoiReportT } from '../api/endpoints.ts';
import { periodLabel } from '../lib/dates.ts';
import { formatMoney, formatNumber } from '../lib/money.ts';

const COLORS = {
  revenue: '#2563eb',
  cost: '#f59e0b',
  profit: '#16a34a',
  loss: '#dc2626',
  sessions: '#7c3aed',
  clicks: '#0891b2',
};

/** Revenue and cost bars per period with the profit line: where the money came from and went. */
export function RevenueCostChart({ report }: { report: RoiReportT }) {
  const data = report.series.map((s) => ({
    label: periodLabel(s.key),
    revenue: s.revenue,
    cost: s.cost,
    profit: s.profit,
  }));
  const money = (v: number) => formatMoney(v, report.currency, { compact: true });
  return (
    <figure className="chart" aria-label="Revenue against cost over time">
      <ResponsiveContainer width="100%" height={300}>
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} minTickGap={16} />
          <YAxis tickFormatter={money} tick={{ fontSize: 12 }} width={72} />
          <Tooltip formatter={(v) => formatMoney(Number(v), report.currency)} />
          <Legend />
          <Bar
            dataKey="revenue"
            name="Revenue"
            fill={COLORS.revenue}
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
        Revenue, cost and profit for each period from {report.from} to {report.to}.
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
    label: periodLabel(s.key),
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
