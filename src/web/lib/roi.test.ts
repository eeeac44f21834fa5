import { describe, expect, it } from 'vitest';
import { workedExample } from './attribution.ts';
import {
  breakEvenAnchor,
  comparisonDelta,
  cumulativeSeries,
  describeDelta,
  isCovered,
  paybackPoint,
} from './roi.ts';

const full = (days: number) => ({ days, daysWithData: days });

describe('when a comparison is shown', () => {
  it('needs at least 90 % of the days of each period to have data', () => {
    expect(isCovered({ days: 30, daysWithData: 27 })).toBe(true);
    expect(isCovered({ days: 30, daysWithData: 26 })).toBe(false);
    expect(isCovered({ days: 0, daysWithData: 0 })).toBe(false);
    expect(isCovered(null)).toBe(false);
  });

  it('says "not enough data" instead of a huge change from an almost empty earlier period', () => {
    // 6 days of revenue against 30: the ratio would be +53,833 %; the rule shows nothing.
    const delta = comparisonDelta(
      { value: 538_430, coverage: full(30) },
      { value: 1_000, coverage: { days: 30, daysWithData: 6 } },
    );
    expect(delta).toEqual({ kind: 'not_enough_data', period: 'earlier' });
    // The current period short of data is as unfair as the earlier one.
    expect(
      comparisonDelta(
        { value: 10, coverage: { days: 30, daysWithData: 20 } },
        { value: 10, coverage: full(30) },
      ),
    ).toEqual({ kind: 'not_enough_data', period: 'current' });
  });

  it('is a relative change when both periods are covered, a smaller loss reading as a gain', () => {
    expect(
      comparisonDelta({ value: 150, coverage: full(30) }, { value: 100, coverage: full(30) }),
    ).toEqual({ kind: 'relative', change: 0.5 });
    expect(
      comparisonDelta({ value: -50, coverage: full(30) }, { value: -100, coverage: full(30) }),
    ).toEqual({ kind: 'relative', change: 0.5 });
    expect(
      comparisonDelta({ value: 10, coverage: full(30) }, { value: 0, coverage: full(30) }),
    ).toEqual({ kind: 'no_base' });
  });

  it('gives ROI changes in points and has no delta where ROI is undefined', () => {
    const d = comparisonDelta(
      { value: 1.5, coverage: full(28) },
      { value: 1.2, coverage: full(31) },
      'points',
    );
    expect(d.kind).toBe('points');
    expect(d.kind === 'points' && d.change).toBeCloseTo(0.3);
    expect(
      comparisonDelta(
        { value: 1.5, coverage: full(28) },
        { value: null, coverage: full(31) },
        'points',
      ),
    ).toEqual({ kind: 'no_base' });
  });

  it('shows nothing when no comparison was asked for', () => {
    expect(comparisonDelta({ value: 1, coverage: full(1) }, null)).toEqual({ kind: 'none' });
  });
});

describe('what a delta reads as', () => {
  it('names the missing data rather than a number', () => {
    expect(
      describeDelta({ kind: 'not_enough_data', period: 'earlier' }, 'a year earlier').text,
    ).toBe('not enough earlier data');
    expect(describeDelta({ kind: 'none' }, 'x').text).toBe('');
    expect(describeDelta({ kind: 'no_base' }, 'previous period').text).toBe(
      'no change shown: 0 or none in the previous period',
    );
    expect(describeDelta({ kind: 'no_base' }, 'a year earlier').text).toBe(
      'no change shown: 0 or none a year earlier',
    );
  });

  it('gives direction, size and whether it is good news', () => {
    expect(describeDelta({ kind: 'relative', change: 0.25 }, 'previous period')).toEqual({
      text: '▲ 25% vs previous period',
      tone: 'up-good',
    });
    // More cost is bad news.
    expect(describeDelta({ kind: 'relative', change: 0.25 }, 'previous period', false).tone).toBe(
      'down-bad',
    );
    expect(describeDelta({ kind: 'points', change: -0.305 }, 'a year earlier')).toEqual({
      text: '▼ 30.5 pts vs a year earlier',
      tone: 'down-bad',
    });
    expect(describeDelta({ kind: 'relative', change: 0 }, 'previous period').tone).toBe('flat');
  });
});

describe('cumulative value against cost', () => {
  const series = [
    { key: '2026-01', value: 0, cost: 1000 },
    { key: '2026-02', value: 600, cost: 1000 },
    { key: '2026-03', value: 1500, cost: 1000 },
    { key: '2026-04', value: 1200, cost: 1000 },
  ];

  it('runs totals in order', () => {
    expect(cumulativeSeries(series)).toEqual([
      { key: '2026-01', value: 0, cost: 1000, net: -1000 },
      { key: '2026-02', value: 600, cost: 2000, net: -1400 },
      { key: '2026-03', value: 2100, cost: 3000, net: -900 },
      { key: '2026-04', value: 3300, cost: 4000, net: -700 },
    ]);
  });

  it('finds the first period where the value so far covers the cost so far', () => {
    const more = [...series, { key: '2026-05', value: 1800, cost: 1000 }];
    expect(paybackPoint(cumulativeSeries(more))).toEqual({
      kind: 'paid_back',
      index: 4,
      key: '2026-05',
    });
    // Exactly even counts as paid back.
    expect(paybackPoint(cumulativeSeries([{ key: 'a', value: 500, cost: 500 }]))).toMatchObject({
      kind: 'paid_back',
      index: 0,
    });
  });

  it('keeps the break-even label inside the chart at either end', () => {
    expect(breakEvenAnchor(11, 12)).toBe('end');
    expect(breakEvenAnchor(8, 12)).toBe('end');
    expect(breakEvenAnchor(6, 12)).toBe('middle');
    expect(breakEvenAnchor(0, 12)).toBe('start');
    expect(breakEvenAnchor(1, 2)).toBe('end');
    expect(breakEvenAnchor(0, 1)).toBe('middle');
  });

  it('says how much is covered when it has not paid back yet', () => {
    expect(paybackPoint(cumulativeSeries(series))).toEqual({ kind: 'not_yet', share: 3300 / 4000 });
    expect(paybackPoint(cumulativeSeries([{ key: 'a', value: -300, cost: 100 }]))).toEqual({
      kind: 'not_yet',
      share: 0,
    });
  });

  it('does not call revenue before any cost a payback, and has none without cost', () => {
    const early = [
      { key: 'a', value: 900, cost: 0 },
      { key: 'b', value: 0, cost: 1000 },
      { key: 'c', value: 200, cost: 0 },
    ];
    expect(paybackPoint(cumulativeSeries(early))).toEqual({
      kind: 'paid_back',
      index: 2,
      key: 'c',
    });
    expect(paybackPoint(cumulativeSeries([{ key: 'a', value: 5, cost: 0 }]))).toEqual({
      kind: 'no_cost',
    });
    expect(paybackPoint([])).toEqual({ kind: 'no_cost' });
  });
});

describe('the attribution worked example', () => {
  it('applies conversions, share and margin, then takes off the baseline per day', () => {
    const ex = workedExample(
      { revenue: 1_000_000, conversions: 20, days: 30 },
      { revenueShare: 0.4, conversionValue: 5_000, grossMargin: 0.5 },
      { revenue: 300_000, conversions: 0, days: 60 },
    );
    expect(ex.gross).toBe(1_100_000);
    expect(ex.credited).toBe(220_000);
    // Baseline: 300,000 × 0.4 × 0.5 / 60 days = 1,000 a day, × 30 days.
    expect(ex.baselineDaily).toBe(1_000);
    expect(ex.baselineTotal).toBe(30_000);
    expect(ex.value).toBe(190_000);
    expect(
      workedExample(
        { revenue: 100, conversions: 0, days: 1 },
        { revenueShare: 1, conversionValue: 0, grossMargin: 1 },
        null,
      ).value,
    ).toBe(100);
  });
});
