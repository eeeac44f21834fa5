import { useEffect, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ComposedChart,
  LabelList,
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
import { formatDate, formatDateRange, seriesLabel } from '../lib/dates.ts';
import { currencyDigits, formatMoney, formatNumber, formatPercent } from '../lib/money.ts';
import { breakEvenAnchor, cumulativeSeries, paybackPoint } from '../lib/roi.ts';

/** Value and cost bars per period with the profit line: what the work earned and what it cost. */
export function ValueCostChart({ report }: { report: RoiReportT }) {
  const palette = useChartPalette();
  const chrome = chartChrome(palette);
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
          <CartesianGrid {...chrome.grid} vertical={false} />
          <XAxis dataKey="label" {...chrome.axis} minTickGap={16} />
          <YAxis tickFormatter={money} {...chrome.axis} width={72} />
          <Tooltip
            formatter={(v) => formatMoney(Number(v), report.currency)}
            {...chrome.tooltip}
            cursor={chrome.barCursor}
          />
          <Legend {...chrome.legend} />
          <Bar
            dataKey="value"
            name="Value"
            fill={palette.revenue}
            radius={[3, 3, 0, 0]}
            isAnimationActive={false}
          />
          <Bar
            dataKey="cost"
            name="Cost"
            fill={palette.cost}
            radius={[3, 3, 0, 0]}
            isAnimationActive={false}
          />
          <Line
            dataKey="profit"
            name="Profit"
            stroke={palette.profit}
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
  const palette = useChartPalette();
  const chrome = chartChrome(palette);
  const cumulative = cumulativeSeries(report.series);
  const data = cumulative.map((p) => ({ ...p, label: seriesLabel(p.key, report) }));
  const payback = paybackPoint(cumulative);
  const money = (v: number) => formatMoney(v, report.currency, { compact: true });
  const point = payback.kind === 'paid_back' ? data[payback.index] : undefined;
  const anchor =
    payback.kind === 'paid_back' ? breakEvenAnchor(payback.index, data.length) : 'middle';
  return (
    <figure className="chart" aria-label="Cumulative value against cost">
      <ResponsiveContainer width="100%" height={300}>
        <LineChart data={data} margin={{ top: 24, right: 16, bottom: 0, left: 8 }}>
          <CartesianGrid {...chrome.grid} vertical={false} />
          <XAxis dataKey="label" {...chrome.axis} minTickGap={16} />
          <YAxis tickFormatter={money} {...chrome.axis} width={72} />
          <Tooltip
            formatter={(v) => formatMoney(Number(v), report.currency)}
            {...chrome.tooltip}
            cursor={chrome.lineCursor}
          />
          <Legend {...chrome.legend} />
          <Line
            dataKey="value"
            name="Value so far"
            stroke={palette.revenue}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
          <Line
            dataKey="cost"
            name="Cost so far"
            stroke={palette.cost}
            strokeWidth={2}
            strokeDasharray="6 3"
            dot={false}
            isAnimationActive={false}
          />
          {point && (
            <ReferenceLine
              x={point.label}
              stroke={palette.profit}
              strokeDasharray="4 4"
              label={{
                value: 'Break-even',
                position: 'top',
                textAnchor: anchor,
                ...chrome.label,
              }}
            />
          )}
          {point && (
            <ReferenceDot
              x={point.label}
              y={point.value}
              r={5}
              fill={palette.profit}
              stroke={palette.surface}
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
  const palette = useChartPalette();
  const chrome = chartChrome(palette);
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
            <CartesianGrid {...chrome.grid} horizontal={false} />
            <XAxis type="number" tickFormatter={(v: number) => `${v}%`} {...chrome.axis} />
            <YAxis type="category" dataKey="name" width={120} {...chrome.axis} />
            <Tooltip
              formatter={(v) => `${formatNumber(Number(v), 1)}%`}
              {...chrome.tooltip}
              cursor={chrome.barCursor}
            />
            <ReferenceLine x={0} stroke={palette.axis} />
            <Bar dataKey="roi" name="ROI" radius={[0, 3, 3, 0]} isAnimationActive={false}>
              {data.map((d) => (
                <Cell key={d.name} fill={d.roi >= 0 ? palette.profit : palette.loss} />
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

/** The chart colours of the current theme, read from the stylesheet's `--chart-*` variables. */
export interface ChartPalette {
  /** The card behind the chart (tooltips, the ring around a marked point). */
  surface: string;
  /** Tooltip text. */
  text: string;
  grid: string;
  axis: string;
  revenue: string;
  cost: string;
  profit: string;
  loss: string;
  sessions: string;
  clicks: string;
  /** Annotations marked on a chart. */
  note: string;
}

/** The light theme's values: what the stylesheet sets, and what a render without a DOM uses. */
const LIGHT_PALETTE: ChartPalette = {
  surface: '#ffffff',
  text: '#1b2130',
  grid: '#e5e7eb',
  axis: '#5f6b7e',
  revenue: '#2563eb',
  cost: '#b45309',
  profit: '#15803d',
  loss: '#c02626',
  sessions: '#7c3aed',
  clicks: '#0e7490',
  note: '#8a6100',
};

const PALETTE_VARIABLES: Record<keyof ChartPalette, string> = {
  surface: '--surface',
  text: '--text',
  grid: '--chart-grid',
  axis: '--chart-axis',
  revenue: '--chart-revenue',
  cost: '--chart-cost',
  profit: '--chart-profit',
  loss: '--chart-loss',
  sessions: '--chart-sessions',
  clicks: '--chart-clicks',
  note: '--chart-note',
};

function readPalette(): ChartPalette {
  if (typeof document === 'undefined') return LIGHT_PALETTE;
  const css = getComputedStyle(document.documentElement);
  const entries = Object.entries(PALETTE_VARIABLES).map(([key, name]) => [
    key,
    css.getPropertyValue(name).trim() || LIGHT_PALETTE[key as keyof ChartPalette],
  ]);
  return Object.fromEntries(entries) as ChartPalette;
}

/**
 * The theme's look for the parts every chart has: grid, axes (ticks, line, titles), tooltip,
 * legend and the hover cursor. Spread onto the recharts elements, so no chart keeps the library's
 * light-only defaults (grey ticks, a white tooltip) in dark mode.
 */
export function chartChrome(palette: ChartPalette) {
  return {
    grid: { strokeDasharray: '3 3', stroke: palette.grid },
    axis: { tick: { fontSize: 12, fill: palette.axis }, stroke: palette.axis },
    tooltip: {
      contentStyle: { background: palette.surface, borderColor: palette.grid },
      labelStyle: { color: palette.text },
    },
    /** The band behind the hovered period of a bar chart. */
    barCursor: { fill: palette.grid, fillOpacity: 0.6 },
    /** The line at the hovered period of a line chart. */
    lineCursor: { stroke: palette.axis },
    legend: { wrapperStyle: { color: palette.axis } },
    label: { fill: palette.axis, fontSize: 12 },
  };
}

/** The relative luminance of a `#rgb` or `#rrggbb` colour (WCAG), or null for another notation. */
function luminance(colour: string): number | null {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour.trim())?.[1];
  if (!hex) return null;
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  const [r, g, b] = [0, 2, 4].map((i) => {
    const v = parseInt(full.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/**
 * A colour of the tenant's choosing (a brand colour) for a chart's marks and legend, where it
 * reads against the theme's surface (4.5:1, as text): a dark brand colour in dark mode gives way
 * to the palette's own colour for the series.
 */
export function legibleColour(preferred: string, fallback: string, palette: ChartPalette): string {
  const [a, b] = [luminance(preferred), luminance(palette.surface)];
  if (a === null || b === null) return preferred;
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  return ratio >= 4.5 ? preferred : fallback;
}

/**
 * The palette, read again when the theme changes (the system's setting or the toggle's
 * `data-theme`), so marks, legend and axes keep their contrast in both themes.
 */
export function useChartPalette(): ChartPalette {
  const [palette, setPalette] = useState(readPalette);
  useEffect(() => {
    const update = () => setPalette(readPalette());
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', update);
    const observer = new MutationObserver(update);
    observer.observe(document.documentElement, { attributeFilter: ['data-theme'] });
    return () => {
      media.removeEventListener('change', update);
      observer.disconnect();
    };
  }, []);
  return palette;
}

const SERIES_ORDER = ['Revenue', 'Cost', 'Sessions', 'Clicks'];

/** True when a series has at least one value: a series without data draws no line at all. */
const hasData = (values: (number | null | undefined)[]) => values.some((v) => !!v);

/**
 * A site's traffic over time: revenue and cost as bars on the money axis (labelled with their
 * values when there are few), sessions and clicks as lines on the count axis, each only when it
 * has data. No keyboard stops inside the chart: the figures are in the table that follows it.
 */
export function SiteMetricsChart({ report }: { report: RoiReportT }) {
  const palette = useChartPalette();
  const chrome = chartChrome(palette);
  const currency = report.currency;
  const data = report.series.map((s) => ({
    label: seriesLabel(s.key, report),
    sessions: s.sessions,
    clicks: s.clicks,
    revenue: s.revenue,
    cost: s.cost,
  }));
  const show = {
    sessions: hasData(data.map((d) => d.sessions)),
    clicks: hasData(data.map((d) => d.clicks)),
    revenue: hasData(data.map((d) => d.revenue)),
    cost: hasData(data.map((d) => d.cost)),
  };
  const counts = show.sessions || show.clicks;
  const money = show.revenue || show.cost;
  const compactMoney = (v: unknown) => formatMoney(Number(v), currency, { compact: true });
  // A bar's value above it, where the bar is wide enough for it: few bars (a wide chart, or few
  // periods) are labelled, many thin ones are not.
  // Two significant digits ("$730", "$1.6K"): a label to read at a glance; the tooltip is exact.
  const labelFormat = new Intl.NumberFormat(undefined, {
    style: 'currency',
    currency,
    notation: 'compact',
    maximumSignificantDigits: 2,
  });
  const valueLabel = (v: unknown) =>
    Number(v) ? labelFormat.format(Number(v) / 10 ** currencyDigits(currency)) : '';
  const longestLabel = Math.max(
    0,
    ...data.flatMap((d) => [d.revenue, d.cost]).map((v) => valueLabel(v).length),
  );
  const barValue = (props: {
    x?: unknown;
    y?: unknown;
    width?: unknown;
    value?: unknown;
    viewBox?: unknown;
  }) => {
    // The bar's box: in the props themselves or in their viewBox, depending on the version.
    const box = { ...(props.viewBox as Record<string, unknown> | undefined), ...props };
    const [x, y, width] = [Number(box.x), Number(box.y), Number(box.width)];
    const text = valueLabel(props.value);
    // About 5.8 px a character at 10 px; all bars are as wide, so either every bar is labelled
    // (the longest label fits, give or take the gap between bars) or none is.
    if (!text || !(longestLabel * 5.8 <= width + 4)) return <g />;
    return (
      <text
        x={x + width / 2}
        y={y - 4}
        textAnchor="middle"
        fill={palette.axis}
        fontSize={10}
        className="bar-value"
      >
        {text}
      </text>
    );
  };
  const tick = { fontSize: 12, fill: palette.axis };
  const axisTitle = (value: string, side: 'left' | 'right') => ({
    value,
    angle: side === 'left' ? -90 : 90,
    position: side === 'left' ? ('insideLeft' as const) : ('insideRight' as const),
    style: { textAnchor: 'middle' as const, fill: palette.axis, fontSize: 12 },
  });
  const names = [
    show.revenue && 'revenue',
    show.cost && 'cost',
    show.sessions && 'sessions',
    show.clicks && 'clicks',
  ].filter(Boolean);
  return (
    <figure className="chart" aria-label="Site metrics over time" data-testid="site-metrics-chart">
      <ResponsiveContainer width="100%" height={300}>
        <ComposedChart
          data={data}
          margin={{ top: 20, right: 8, bottom: 8, left: 8 }}
          accessibilityLayer={false}
        >
          <CartesianGrid {...chrome.grid} vertical={false} />
          <XAxis
            dataKey="label"
            tick={tick}
            stroke={palette.axis}
            minTickGap={16}
            height={44}
            label={{ value: 'Period', position: 'insideBottom', fill: palette.axis, fontSize: 12 }}
          />
          {counts && (
            <YAxis
              yAxisId="count"
              tick={tick}
              stroke={palette.axis}
              width={64}
              tickFormatter={(v: number) => formatNumber(v)}
              label={axisTitle('Sessions and clicks', 'left')}
            />
          )}
          {money && (
            <YAxis
              yAxisId="money"
              orientation="right"
              tick={tick}
              stroke={palette.axis}
              width={80}
              tickFormatter={compactMoney}
              label={axisTitle(`Revenue and cost (${currency})`, 'right')}
            />
          )}
          <Tooltip
            formatter={(v, name) =>
              name === 'Revenue' || name === 'Cost'
                ? formatMoney(Number(v), currency)
                : formatNumber(Number(v))
            }
            {...chrome.tooltip}
            cursor={chrome.barCursor}
          />
          <Legend
            {...chrome.legend}
            itemSorter={(item) => SERIES_ORDER.indexOf(String(item.value))}
          />
          {show.revenue && (
            <Bar
              yAxisId="money"
              dataKey="revenue"
              name="Revenue"
              fill={palette.revenue}
              radius={[3, 3, 0, 0]}
              isAnimationActive={false}
            >
              <LabelList dataKey="revenue" content={barValue} />
            </Bar>
          )}
          {show.cost && (
            <Bar
              yAxisId="money"
              dataKey="cost"
              name="Cost"
              fill={palette.cost}
              radius={[3, 3, 0, 0]}
              isAnimationActive={false}
            >
              <LabelList dataKey="cost" content={barValue} />
            </Bar>
          )}
          {show.sessions && (
            <Line
              yAxisId="count"
              dataKey="sessions"
              name="Sessions"
              stroke={palette.sessions}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          )}
          {show.clicks && (
            <Line
              yAxisId="count"
              dataKey="clicks"
              name="Clicks"
              stroke={palette.clicks}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          )}
        </ComposedChart>
      </ResponsiveContainer>
      <figcaption className="sr-only">
        {names.length
          ? `The ${names.join(', ')} of each period from ${formatDate(report.from)} to ${formatDate(report.to)}; the figures follow in a table.`
          : 'No data in this period.'}
      </figcaption>
      {/* A table ignores a 1 px width: the wrapper is what hides it. */}
      <div className="sr-only">
        <table>
          <caption>Site metrics by period</caption>
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col">Revenue</th>
              <th scope="col">Cost</th>
              <th scope="col">Sessions</th>
              <th scope="col">Clicks</th>
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={d.label}>
                <th scope="row">{d.label}</th>
                <td>{formatMoney(d.revenue, currency)}</td>
                <td>{formatMoney(d.cost, currency)}</td>
                <td>{formatNumber(d.sessions)}</td>
                <td>{formatNumber(d.clicks)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
