/**
 * The rules the dashboard applies to report figures before it shows them: when a comparison is
 * fair, what a change reads as, the cumulative view of value against cost and where it pays back.
 * Pure functions, so each rule is tested on its own (roi.test.ts).
 */

import { formatNumber, formatPercent } from './money.ts';

export interface Coverage {
  /** Days in the range. */
  days: number;
  /** Days with a metric row for any selected site. */
  daysWithData: number;
}

/** Share of a period's days that must have data before it is compared with another. */
export const MIN_COVERAGE = 0.9;

/** True when at least 90 % of the period's days have data (an empty or zero-day range never is). */
export function isCovered(coverage: Coverage | null | undefined): boolean {
  if (!coverage || coverage.days <= 0) return false;
  return coverage.daysWithData / coverage.days >= MIN_COVERAGE;
}

/** What a figure's comparison with the earlier period shows. */
export type Delta =
  /** No comparison asked for. */
  | { kind: 'none' }
  /** A period has too few days with data (the earlier one named first): no number is shown. */
  | { kind: 'not_enough_data'; period: 'earlier' | 'current' }
  /** Both covered, but the earlier figure is 0 (or unknown): a ratio would mean nothing. */
  | { kind: 'no_base' }
  /** A relative change (0.25 = +25 %) of an amount or count. */
  | { kind: 'relative'; change: number }
  /** A change in percentage points (ROI: 1.2 → 1.5 is +30 points), as a ratio (0.3). */
  | { kind: 'points'; change: number };

export interface Compared {
  value: number | null;
  coverage: Coverage;
}

/**
 * The change of a figure against the earlier period, shown only when both periods are covered
 * (`isCovered`); a ratio's change (ROI) is in points, any other figure's relative to the earlier
 * one's size, so a smaller loss reads as an improvement.
 */
export function comparisonDelta(
  current: Compared,
  previous: Compared | null,
  kind: 'relative' | 'points' = 'relative',
): Delta {
  if (!previous) return { kind: 'none' };
  if (!isCovered(previous.coverage)) return { kind: 'not_enough_data', period: 'earlier' };
  if (!isCovered(current.coverage)) return { kind: 'not_enough_data', period: 'current' };
  if (current.value === null || previous.value === null) return { kind: 'no_base' };
  if (kind === 'points') return { kind: 'points', change: current.value - previous.value };
  if (previous.value === 0) return { kind: 'no_base' };
  return { kind: 'relative', change: (current.value - previous.value) / Math.abs(previous.value) };
}

export interface ValueCostPoint {
  key: string;
  value: number;
  cost: number;
}

export interface CumulativePoint {
  key: string;
  /** Value credited from the first period to this one, included. */
  value: number;
  /** Cost from the first period to this one, included. */
  cost: number;
  /** value − cost so far. */
  net: number;
}

/** Running totals of value and cost over the series, in its order. */
export function cumulativeSeries(series: readonly ValueCostPoint[]): CumulativePoint[] {
  let value = 0;
  let cost = 0;
  return series.map((s) => {
    value += s.value;
    cost += s.cost;
    return { key: s.key, value, cost, net: value - cost };
  });
}

/** Where the cumulative value first covers the cumulative cost. */
export type Payback =
  /** No cost in the period: nothing to pay back. */
  | { kind: 'no_cost' }
  /** The value never caught up with the cost in the period; `share` is how much of it is covered. */
  | { kind: 'not_yet'; share: number }
  /** First period whose cumulative value is at least its cumulative cost (after some cost). */
  | { kind: 'paid_back'; index: number; key: string };

/**
 * The break-even point of a cumulative series: the first period, once some cost has been spent,
 * where the value credited so far is at least the cost so far. A period with no cost yet is not
 * "paid back" (there is nothing to pay back), so a series that starts with revenue before the
 * first retainer breaks even at the first period whose cost it covers.
 */
export function paybackPoint(cumulative: readonly CumulativePoint[]): Payback {
  const last = cumulative.at(-1);
  if (!last || last.cost <= 0) return { kind: 'no_cost' };
  const index = cumulative.findIndex((p) => p.cost > 0 && p.value >= p.cost);
  if (index >= 0) return { kind: 'paid_back', index, key: cumulative[index]!.key };
  return { kind: 'not_yet', share: Math.max(0, last.value) / last.cost };
}

/**
 * How the break-even label sits on its line among `count` periods: centred above it in the
 * middle, ending at it in the last third and starting at it in the first, so that the label never
 * runs past the chart's edge (on a phone the chart is as narrow as the label is wide).
 */
export function breakEvenAnchor(index: number, count: number): 'start' | 'middle' | 'end' {
  if (count < 2) return 'middle';
  const at = index / (count - 1);
  return at > 2 / 3 ? 'end' : at < 1 / 3 ? 'start' : 'middle';
}

const againstIn = (against: string) =>
  against.startsWith('a ') || against.startsWith('the ') ? against : `in the ${against}`;

/** What a delta reads as beside its figure, and whether that is good news. */
export function describeDelta(
  delta: Delta,
  against: string,
  goodWhenUp = true,
): { text: string; tone: 'up-good' | 'down-bad' | 'flat' } {
  switch (delta.kind) {
    case 'none':
      return { text: '', tone: 'flat' };
    case 'not_enough_data':
      return {
        text:
          delta.period === 'earlier'
            ? 'not enough earlier data'
            : 'not enough data in this period to compare',
        tone: 'flat',
      };
    case 'no_base':
      return { text: `no change shown: 0 or none ${againstIn(against)}`, tone: 'flat' };
    case 'relative':
    case 'points': {
      const size =
        delta.kind === 'relative'
          ? formatPercent(Math.abs(delta.change))
          : `${formatNumber(Math.abs(delta.change) * 100, 1)} pts`;
      if (delta.change === 0 || size === '0%' || size === '0 pts')
        return { text: `no change vs ${against}`, tone: 'flat' };
      const up = delta.change > 0;
      return {
        text: `${up ? '▲' : '▼'} ${size} vs ${against}`,
        tone: up === goodWhenUp ? 'up-good' : 'down-bad',
      };
    }
  }
}
