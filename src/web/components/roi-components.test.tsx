import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { RoiReportT } from '../api/endpoints.ts';
import { CumulativeValueChart } from './charts.tsx';
import { RoiHelp } from './roi-help.tsx';

const item = (key: string, value: number, cost: number) => ({
  key,
  label: key,
  revenue: value,
  value,
  cost,
  profit: value - cost,
  roi: cost ? (value - cost) / cost : null,
  sessions: 0,
  conversions: 0,
  clicks: 0,
  impressions: 0,
  position: null,
});

const report = (series: ReturnType<typeof item>[]): RoiReportT => {
  const value = series.reduce((s, x) => s + x.value, 0);
  const cost = series.reduce((s, x) => s + x.cost, 0);
  return {
    currency: 'USD',
    from: '2026-01-01',
    to: '2026-03-31',
    groupBy: 'month',
    totals: {
      ...item('total', value, cost),
      coverage: { days: 90, daysWithData: 90 },
    },
    series,
    comparison: null,
  } as RoiReportT;
};

describe('the payback chart', () => {
  it('says in words when the value so far covered the cost so far', () => {
    const html = renderToStaticMarkup(
      <CumulativeValueChart
        report={report([
          item('2026-01', 0, 100_000),
          item('2026-02', 90_000, 100_000),
          item('2026-03', 250_000, 100_000),
        ])}
      />,
    );
    expect(html).toContain('aria-label="Cumulative value against cost"');
    expect(html).toMatch(/Paid back in Mar 2026/);
  });

  it('says how much is covered when it has not paid back, and when there is no cost', () => {
    expect(
      renderToStaticMarkup(
        <CumulativeValueChart report={report([item('2026-01', 25_000, 100_000)])} />,
      ),
    ).toContain('covers 25% of the cost');
    expect(
      renderToStaticMarkup(<CumulativeValueChart report={report([item('2026-01', 5, 0)])} />),
    ).toContain('nothing to pay back');
  });
});

describe('the ROI explanation', () => {
  it('is a labelled button that opens a dialog', () => {
    const html = renderToStaticMarkup(
      <RoiHelp figures={{ value: 300, cost: 200, roi: 0.5, currency: 'USD' }} />,
    );
    expect(html).toContain('aria-label="How ROI is calculated"');
    expect(html).toContain('aria-haspopup="dialog"');
    expect(html).toContain('<dialog');
  });
});
