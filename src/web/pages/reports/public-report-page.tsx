import { useEffect, useState, type CSSProperties, type FormEvent } from 'react';
import { useParams } from 'react-router';
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { describeError } from '../../api/problem.ts';
import {
  fetchPublicReport,
  publicReportPath,
  unlockPublicReport,
  type PublicReportT,
} from '../../api/reporting-share.ts';
import { chartChrome, legibleColour, useChartPalette } from '../../components/charts.tsx';
import { Alert, Button, Spinner } from '../../components/ui.tsx';
import { formatMoney, formatPercent } from '../../lib/money.ts';
import {
  comparisonDelta,
  cumulativeSeries,
  describeDelta,
  paybackPoint,
  type Coverage,
  type Delta,
} from '../../lib/roi.ts';

/** The figures the page shows (`value` is revenue on a report made before attribution existed). */
type Figures = {
  revenue: number;
  value?: number;
  cost: number;
  profit: number;
  roi: number | null;
};
type State =
  | { status: 'loading' }
  | { status: 'locked' }
  | { status: 'gone' }
  | { status: 'error'; message: string }
  | { status: 'ok'; report: PublicReportT };

const valueOf = (f: Figures) => f.value ?? f.revenue;

/** The ISO week key (2026-W02) of a date, as the report's week series names it. */
function isoWeekKey(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const day = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - day + 3);
  const year = d.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const week =
    1 +
    Math.round(
      ((d.getTime() - firstThursday.getTime()) / 86_400_000 -
        3 +
        ((firstThursday.getUTCDay() + 6) % 7)) /
        7,
    );
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The series key an annotation's date falls in. */
function bucketOf(groupBy: string, date: string): string {
  if (groupBy === 'month') return date.slice(0, 7);
  if (groupBy === 'week') return isoWeekKey(date);
  return date;
}

/** A KPI's change against the previous period, shown only when both periods are covered. */
function Change({ delta, goodWhenUp = true }: { delta: Delta; goodWhenUp?: boolean }) {
  const { text, tone } = describeDelta(delta, 'previous period', goodWhenUp);
  if (!text) return <span className="kpi-change kpi-flat">no comparison</span>;
  return <span className={`kpi-change kpi-${tone}`}>{text}</span>;
}

function Kpis({ data }: { data: PublicReportT }) {
  const { totals, currency } = data.report;
  const comparison = (
    data.report as { comparison?: { totals: Figures & { coverage?: Coverage } } | null }
  ).comparison;
  const before = comparison?.totals;
  const t = totals as Figures & { coverage?: Coverage };
  // A change only where both periods have data on enough of their days (as on the dashboard).
  const delta = (
    now: number | null,
    was: number | null,
    kind: 'relative' | 'points' = 'relative',
  ): Delta =>
    comparisonDelta(
      { value: now, coverage: t.coverage ?? { days: 0, daysWithData: 0 } },
      before ? { value: was, coverage: before.coverage ?? { days: 0, daysWithData: 0 } } : null,
      kind,
    );
  const cards = [
    {
      label: 'Value',
      value: formatMoney(valueOf(t), currency),
      delta: delta(valueOf(t), before ? valueOf(before) : null),
      goodWhenUp: true,
    },
    {
      label: 'Cost',
      value: formatMoney(t.cost, currency),
      delta: delta(t.cost, before?.cost ?? null),
      goodWhenUp: false,
    },
    {
      label: 'Profit',
      value: formatMoney(t.profit, currency),
      delta: delta(t.profit, before?.profit ?? null),
      goodWhenUp: true,
    },
  ];
  return (
    <div className="kpis" data-testid="public-kpis">
      {cards.map((c) => (
        <div className="kpi" key={c.label}>
          <div className="kpi-label">{c.label}</div>
          <div className="kpi-value">{c.value}</div>
          <Change delta={c.delta} goodWhenUp={c.goodWhenUp} />
        </div>
      ))}
      <div className="kpi">
        <div className="kpi-label">ROI</div>
        <div className="kpi-value">{formatPercent(t.roi)}</div>
        <Change delta={delta(t.roi, before ? before.roi : null, 'points')} />
      </div>
    </div>
  );
}

function ValueCostChart({ data, colour: brand }: { data: PublicReportT; colour: string }) {
  const palette = useChartPalette();
  const chrome = chartChrome(palette);
  const colour = legibleColour(brand, palette.revenue, palette);
  const { report } = data;
  const rows = report.series.map((s) => ({
    key: s.key,
    label: s.label,
    value: valueOf(s as Figures),
    cost: s.cost,
  }));
  const keys = new Set(rows.map((r) => r.key));
  const marks = data.annotations
    .map((a) => ({ ...a, key: bucketOf(report.groupBy, a.date) }))
    .filter((a) => keys.has(a.key));
  const money = (v: number) => formatMoney(v, report.currency, { compact: true });
  return (
    <figure className="chart" aria-label="Value versus cost over the period">
      <ResponsiveContainer width="100%" height={280}>
        <ComposedChart data={rows} margin={{ top: 16, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid {...chrome.grid} vertical={false} />
          <XAxis
            dataKey="key"
            tickFormatter={(k: string) => rows.find((r) => r.key === k)?.label ?? k}
            {...chrome.axis}
            minTickGap={16}
          />
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
            fill={colour}
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
          {marks.map((m) => (
            <ReferenceLine
              key={m.id}
              x={m.key}
              stroke={palette.note}
              strokeDasharray="4 3"
              label={{ value: '◆', position: 'top', fill: palette.note }}
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
      <figcaption className="sr-only">
        Value and cost for each period from {report.from} to {report.to}; annotations are marked.
      </figcaption>
    </figure>
  );
}

function PaybackChart({ data, colour: brand }: { data: PublicReportT; colour: string }) {
  const palette = useChartPalette();
  const chrome = chartChrome(palette);
  const colour = legibleColour(brand, palette.revenue, palette);
  const { report } = data;
  // The same running sums and break-even rule as the dashboard's cumulative chart.
  const cumulative = cumulativeSeries(
    report.series.map((s) => ({ key: s.key, value: valueOf(s as Figures), cost: s.cost })),
  );
  const rows = cumulative.map((p, i) => ({ label: report.series[i]!.label, ...p }));
  const payback = paybackPoint(cumulative);
  const money = (v: number) => formatMoney(v, report.currency, { compact: true });
  return (
    <figure className="chart" aria-label="Payback: cumulative value against cumulative cost">
      <ResponsiveContainer width="100%" height={240}>
        <LineChart data={rows} margin={{ top: 16, right: 8, bottom: 0, left: 8 }}>
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
            name="Cumulative value"
            stroke={colour}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
          <Line
            dataKey="cost"
            name="Cumulative cost"
            stroke={palette.cost}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
      <figcaption className="muted">
        {payback.kind === 'paid_back'
          ? `Paid back by ${rows[payback.index]!.label}: cumulative value reached cumulative cost.`
          : payback.kind === 'not_yet'
            ? 'Not paid back within this period yet.'
            : 'No cost in this period.'}
      </figcaption>
    </figure>
  );
}

function SiteTable({ data }: { data: PublicReportT }) {
  const bySite = new Map(data.siteReport.series.map((s) => [s.key, s as Figures]));
  const currency = data.report.currency;
  return (
    <div className="table-wrap">
      {/* Stacked on a phone, each figure named by its column (as the app's own tables). */}
      <table className="table table-responsive">
        <caption className="sr-only">Figures per site</caption>
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col" className="num">
              Value
            </th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col" className="num">
              Profit
            </th>
            <th scope="col" className="num">
              ROI
            </th>
          </tr>
        </thead>
        <tbody>
          {data.sites.map((site) => {
            const f = bySite.get(site.id);
            return (
              <tr key={site.id}>
                <th scope="row">
                  {site.name} <span className="muted">{site.domain}</span>
                </th>
                <td className="num" data-label="Value">
                  {f ? formatMoney(valueOf(f), currency) : '—'}
                </td>
                <td className="num" data-label="Cost">
                  {f ? formatMoney(f.cost, currency) : '—'}
                </td>
                <td className="num" data-label="Profit">
                  {f ? formatMoney(f.profit, currency) : '—'}
                </td>
                <td className="num" data-label="ROI">
                  {f ? formatPercent(f.roi) : '—'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function PasswordForm({ token, onUnlocked }: { token: string; onUnlocked: () => void }) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await unlockPublicReport(token, password);
      onUnlocked();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="form auth-card" onSubmit={(e) => void submit(e)}>
      <h1>This report is protected</h1>
      <p className="muted">Enter the password you were given to open it.</p>
      {error && <Alert kind="error">{error}</Alert>}
      <label htmlFor="report-password">Password</label>
      <input
        id="report-password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        required
      />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          Open report
        </Button>
      </div>
    </form>
  );
}

/** `/r/:token`: the branded, read-only report of a share link; needs no account. */
export function PublicReportPage() {
  const { token = '' } = useParams();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  const palette = useChartPalette();
  useEffect(() => {
    const controller = new AbortController();
    fetchPublicReport(token, controller.signal).then(
      (r) =>
        setState(r.status === 'ok' ? { status: 'ok', report: r.report } : { status: r.status }),
      (err: unknown) => {
        if (!controller.signal.aborted) setState({ status: 'error', message: describeError(err) });
      },
    );
    return () => controller.abort();
  }, [token, tick]);

  if (state.status === 'loading') return <Spinner label="Loading the report…" />;
  if (state.status === 'gone') {
    return (
      <main className="auth-page" id="main">
        <div className="auth-card">
          <h1>Report not available</h1>
          <p>
            This link does not exist, has expired or was revoked. Ask whoever shared it for a new
            one.
          </p>
        </div>
      </main>
    );
  }
  if (state.status === 'locked') {
    return (
      <main className="auth-page" id="main">
        <PasswordForm token={token} onUnlocked={() => setTick((t) => t + 1)} />
      </main>
    );
  }
  if (state.status === 'error') {
    return (
      <main className="auth-page" id="main">
        <Alert kind="error" title="The report could not be loaded">
          <p>{state.message}</p>
          <Button onClick={() => setTick((t) => t + 1)}>Retry</Button>
        </Alert>
      </main>
    );
  }
  const data = state.report;
  const colour = data.branding.primaryColor ?? '#3f4fd8';
  // The brand colour paints the page's name and buttons where it reads against the theme (a dark
  // brand colour in dark mode would not): else the theme's own primary colour stays.
  const legible = legibleColour(colour, '', palette) !== '';
  const style = (legible ? { '--primary': colour, '--brand': colour } : {}) as CSSProperties;
  return (
    <div className="public-report" style={style}>
      <header className="public-report-header" style={{ borderTopColor: colour }}>
        {data.branding.logoUrl && (
          <img
            className="public-report-logo"
            src={data.branding.logoUrl}
            alt={`${data.branding.name} logo`}
          />
        )}
        <div>
          <div className="public-report-brand" data-testid="brand-name">
            {data.branding.name}
          </div>
          <h1>{data.branding.reportTitle ?? data.name}</h1>
          <p className="muted">
            {data.report.from} to {data.report.to} ·{' '}
            {data.sites.map((s) => s.name).join(', ') || 'No sites'}
          </p>
        </div>
        <a
          className="btn btn-primary public-report-pdf"
          href={`${publicReportPath(token)}?format=pdf`}
          download
        >
          Download PDF
        </a>
      </header>
      <main id="main" className="public-report-body">
        <Kpis data={data} />
        <section className="card mt" aria-labelledby="chart-value-cost">
          <h2 id="chart-value-cost">Value versus cost</h2>
          <ValueCostChart data={data} colour={colour} />
        </section>
        <section className="card mt" aria-labelledby="chart-payback">
          <h2 id="chart-payback">Payback</h2>
          <PaybackChart data={data} colour={colour} />
        </section>
        <section className="card mt" aria-labelledby="per-site">
          <h2 id="per-site">Per site</h2>
          <SiteTable data={data} />
        </section>
        <section className="card mt" aria-labelledby="annotations">
          <h2 id="annotations">Annotations</h2>
          {data.annotations.length === 0 ? (
            <p className="muted">No annotations in this period.</p>
          ) : (
            <ul className="annotation-list">
              {data.annotations.map((a) => (
                <li key={a.id}>
                  <strong>{a.date}</strong> {a.title}
                  {a.note ? <span className="muted"> — {a.note}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card mt" aria-labelledby="how-roi">
          <h2 id="how-roi">How ROI is calculated</h2>
          <p>
            ROI = (value − cost) ÷ cost. Value is the revenue credited to SEO: revenue and
            conversions at their value, times the share credited to SEO and the gross margin, less
            the baseline before the engagement. Cost is the fees for the services delivered in the
            period, accrued by day. The comparison is the same number of days just before the
            period. Amounts in {data.report.currency}.
          </p>
        </section>
      </main>
    </div>
  );
}
