/**
 * A straightforward in-memory computation of the contract's ROI formulas, written independently of
 * the server's SQL: walk every day and every service, and add up.
 */
export interface ModelService {
  siteId: string;
  billing: 'monthly' | 'one_time' | 'hourly';
  amount: number;
  startDate: string;
  endDate: string | null;
  entries: { date: string; hours: number }[];
}

export interface ModelDay {
  sessions?: number;
  conversions?: number;
  revenue?: number;
  clicks?: number;
  impressions?: number;
  position?: number;
}

export type GroupBy = 'day' | 'week' | 'month' | 'site';

const DAY = 86_400_000;
const ms = (d: string) => Date.parse(`${d}T00:00:00Z`);
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

export function eachDay(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = ms(from); t <= ms(to); t += DAY) days.push(iso(t));
  return days;
}

/** ISO week `YYYY-Www` by the textbook rule: the week's Thursday decides the year. */
export function isoWeek(date: string): string {
  const d = new Date(ms(date));
  const dow = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / DAY + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** A site's attribution as the API takes it. */
export interface ModelAttribution {
  revenueShare: number;
  conversionValue: number;
  grossMargin: number;
  baseline: { from: string; to: string } | null;
}

/**
 * Credited value of each day with a row, exactly: with S and M the shares in millionths, N the
 * baseline's days and G the sum of revenue + conversions × conversionValue over them (missing
 * days 0), value = round(S·M·(gross·N − G) / (10^12·N)), half away from zero, in BigInt.
 */
export function creditedValues(
  days: Map<string, ModelDay> | undefined,
  a: ModelAttribution | undefined,
): Map<string, number> {
  const out = new Map<string, number>();
  if (!days) return out;
  const S = BigInt(Math.round((a?.revenueShare ?? 1) * 1e6));
  const M = BigInt(Math.round((a?.grossMargin ?? 1) * 1e6));
  const cv = BigInt(a?.conversionValue ?? 0);
  const gross = (m: ModelDay) => BigInt(m.revenue ?? 0) + BigInt(m.conversions ?? 0) * cv;
  let N = 1n;
  let G = 0n;
  if (a?.baseline) {
    const baselineDays = eachDay(a.baseline.from, a.baseline.to);
    N = BigInt(baselineDays.length);
    for (const d of baselineDays) {
      const m = days.get(d);
      if (m) G += gross(m);
    }
  }
  const Q = 10n ** 12n * N;
  for (const [date, m] of days) {
    const P = S * M * (gross(m) * N - G);
    const magnitude = (2n * (P < 0n ? -P : P) + Q) / (2n * Q);
    out.set(date, Number(P < 0n ? -magnitude : magnitude));
  }
  return out;
}

export interface ModelFigures {
  revenue: number;
  value: number;
  cost: number;
  profit: number;
  roi: number | null;
  sessions: number;
  conversions: number;
  clicks: number;
  impressions: number;
  position: number | null;
}

interface Acc {
  revenue: number;
  value: number;
  cost: number;
  sessions: number;
  conversions: number;
  clicks: number;
  impressions: number;
  posWeight: number;
  posImpr: number;
}

const acc = (): Acc => ({
  revenue: 0,
  value: 0,
  cost: 0,
  sessions: 0,
  conversions: 0,
  clicks: 0,
  impressions: 0,
  posWeight: 0,
  posImpr: 0,
});

function figures(a: Acc): ModelFigures {
  return {
    revenue: a.revenue,
    value: a.value,
    cost: a.cost,
    profit: a.value - a.cost,
    roi: a.cost === 0 ? null : (a.value - a.cost) / a.cost,
    sessions: a.sessions,
    conversions: a.conversions,
    clicks: a.clicks,
    impressions: a.impressions,
    position: a.posImpr > 0 ? a.posWeight / a.posImpr : null,
  };
}

/** Days in the date's calendar month (30 days hath September…, February by the leap-year rule). */
export function daysInMonth(date: string): number {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/**
 * One day's share of a monthly amount: the month's cents split evenly, the cents left over going
 * one each to the month's first days.
 */
export function monthlyDayCost(amount: number, date: string): number {
  const n = daysInMonth(date);
  const day = Number(date.slice(8, 10));
  const base = Math.floor(amount / n);
  return base + (day <= amount - base * n ? 1 : 0);
}

/** The report the contract describes, computed the long way. */
export function modelReport(input: {
  from: string;
  to: string;
  groupBy: GroupBy;
  sites: string[];
  metrics: Map<string, Map<string, ModelDay>>;
  services: ModelService[];
  attribution?: Map<string, ModelAttribution>;
}): {
  keys: string[];
  series: Map<string, ModelFigures>;
  totals: ModelFigures;
  coverage: { days: number; daysWithData: number };
} {
  const { from, to, groupBy, sites } = input;
  const keyOf = (site: string, date: string) =>
    groupBy === 'day'
      ? date
      : groupBy === 'week'
        ? isoWeek(date)
        : groupBy === 'month'
          ? date.slice(0, 7)
          : site;
  const keys: string[] = [];
  if (groupBy === 'site') keys.push(...sites);
  else for (const d of eachDay(from, to)) if (!keys.includes(keyOf('', d))) keys.push(keyOf('', d));
  const buckets = new Map(keys.map((k) => [k, acc()]));
  const total = acc();
  const add = (key: string, f: (a: Acc) => void) => {
    f(buckets.get(key)!);
    f(total);
  };
  const withData = new Set<string>();
  for (const site of sites) {
    const values = creditedValues(input.metrics.get(site), input.attribution?.get(site));
    for (const date of eachDay(from, to)) {
      const m = input.metrics.get(site)?.get(date);
      if (!m) continue;
      withData.add(date);
      add(keyOf(site, date), (a) => {
        a.revenue += m.revenue ?? 0;
        a.value += values.get(date)!;
        a.sessions += m.sessions ?? 0;
        a.conversions += m.conversions ?? 0;
        a.clicks += m.clicks ?? 0;
        a.impressions += m.impressions ?? 0;
        if (m.position !== undefined && m.impressions !== undefined) {
          a.posWeight += m.position * m.impressions;
          a.posImpr += m.impressions;
        }
      });
    }
  }
  const inRange = (d: string) => d >= from && d <= to;
  for (const s of input.services) {
    if (!sites.includes(s.siteId)) continue;
    const costs: [string, number][] = [];
    if (s.billing === 'one_time') costs.push([s.startDate, s.amount]);
    if (s.billing === 'hourly') {
      for (const e of s.entries)
        costs.push([e.date, Math.floor((Math.round(e.hours * 100) * s.amount + 50) / 100)]);
    }
    if (s.billing === 'monthly') {
      const last = s.endDate !== null && s.endDate < to ? s.endDate : to;
      for (const d of eachDay(s.startDate, last)) costs.push([d, monthlyDayCost(s.amount, d)]);
    }
    for (const [date, cost] of costs)
      if (inRange(date)) add(keyOf(s.siteId, date), (a) => (a.cost += cost));
  }
  return {
    keys,
    series: new Map([...buckets].map(([k, a]) => [k, figures(a)])),
    totals: figures(total),
    coverage: { days: eachDay(from, to).length, daysWithData: withData.size },
  };
}
