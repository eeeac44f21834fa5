import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createService, createSite } from './helpers.ts';

/**
 * Daily cost accrual (contract v2): expected figures worked out by hand here, not by the model.
 * A monthly amount is split over its month's days, the remainder cents one each to the first days.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

async function costOf(
  tenant: Awaited<ReturnType<typeof buildTenant>>,
  from: string,
  to: string,
  groupBy = 'month',
) {
  const res = await tenant.owner.client.get(
    `/api/v1/reports/roi?from=${from}&to=${to}&groupBy=${groupBy}`,
  );
  expect(res.status, res.text).toBe(200);
  return res.body as {
    totals: { cost: number };
    series: { key: string; cost: number }[];
  };
}

describe('monthly cost accrues by day', () => {
  it('sums a whole month to exactly its amount, whatever its length', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    // 100.00 a month, open-ended from 2023-12-01.
    await createService(tenant, site.id, { amount: 10_000, startDate: '2023-12-01' });
    const report = await costOf(tenant, '2023-12-01', '2024-03-31');
    expect(report.series.map((s) => [s.key, s.cost])).toEqual([
      ['2023-12', 10_000],
      ['2024-01', 10_000],
      ['2024-02', 10_000], // leap February: 29 days
      ['2024-03', 10_000],
    ]);
    const days = await costOf(tenant, '2024-02-01', '2024-02-29', 'day');
    // 10,000 / 29 = 344 r 24: the 1st–24th carry 345, the 25th–29th 344.
    expect(days.series[0]!.cost).toBe(345);
    expect(days.series[23]!.cost).toBe(345);
    expect(days.series[24]!.cost).toBe(344);
    expect(days.series[28]!.cost).toBe(344);
    expect(days.totals.cost).toBe(10_000);
    // Non-leap February: 10,000 / 28 = 357 r 4.
    const feb = await costOf(tenant, '2025-02-01', '2025-02-28', 'day');
    expect(feb.series.map((s) => s.cost)).toEqual([
      358,
      358,
      358,
      358,
      ...Array.from({ length: 24 }, () => 357),
    ]);
    expect(feb.totals.cost).toBe(10_000);
  });

  it('carries only its own days at a partial month at either end', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    // 3,100 a month from 2026-01-20 to 2026-03-10.
    await createService(tenant, site.id, {
      amount: 3_100,
      startDate: '2026-01-20',
      endDate: '2026-03-10',
    });
    const report = await costOf(tenant, '2026-01-01', '2026-04-30');
    // January: 3,100 / 31 = 100 a day, the 20th–31st are 12 days. February: whole (28 days).
    // March: 100 a day, the 1st–10th.
    expect(report.series.map((s) => [s.key, s.cost])).toEqual([
      ['2026-01', 1_200],
      ['2026-02', 3_100],
      ['2026-03', 1_000],
      ['2026-04', 0],
    ]);
    expect(report.totals.cost).toBe(5_300);
    // The report's own edges cut the same way: 2026-02-15 … 2026-03-05 is 14 February days of
    // 3,100 / 28 = 110 r 20 (the 15th–20th carry 111: 6 × 111 + 8 × 110) and 5 March days.
    const cut = await costOf(tenant, '2026-02-15', '2026-03-05');
    expect(cut.series.map((s) => [s.key, s.cost])).toEqual([
      ['2026-02', 6 * 111 + 8 * 110],
      ['2026-03', 500],
    ]);
    const bySite = await costOf(tenant, '2026-02-15', '2026-03-05', 'site');
    expect(bySite.totals.cost).toBe(6 * 111 + 8 * 110 + 500);
  });

  it('accrues an open-ended service up to the report end, across month and year ends', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    await createService(tenant, site.id, { amount: 31_000, startDate: '2025-12-31' });
    // December: 1,000 a day for the 31st only; January 2026 up to the 10th: 10 × 1,000.
    const report = await costOf(tenant, '2025-12-01', '2026-01-10', 'week');
    expect(report.totals.cost).toBe(11_000);
    // ISO weeks: 2025-W01 holds Dec 29 – Jan 4 (the 31st, 1st–4th), 2026-W02 Jan 5–11.
    expect(report.series.at(-2)).toMatchObject({ key: '2026-W01', cost: 5_000 });
    expect(report.series.at(-1)).toMatchObject({ key: '2026-W02', cost: 6_000 });
  });

  it('counts one-time on its date and hourly per entry, rounded per entry', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    await createService(tenant, site.id, {
      billing: 'one_time',
      amount: 7_777,
      startDate: '2024-02-29',
    });
    const hourly = await createService(tenant, site.id, {
      billing: 'hourly',
      amount: 3_333,
      startDate: '2024-01-01',
    });
    for (const [date, hours] of [
      ['2024-02-28', 0.5], // 1,666.5 → 1,667
      ['2024-03-01', 0.25], // 833.25 → 833
    ] as const) {
      const res = await tenant.owner.client.post(`/api/v1/services/${hourly.id}/time-entries`, {
        date,
        hours,
      });
      expect(res.status, res.text).toBe(201);
    }
    const report = await costOf(tenant, '2024-02-28', '2024-03-01', 'day');
    expect(report.series.map((s) => s.cost)).toEqual([1_667, 7_777, 833]);
  });
});
