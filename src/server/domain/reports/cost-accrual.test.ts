import { describe, expect, it } from 'vitest';
import { accrueCosts, type DatedService } from './cost-accrual.ts';
import { isoWeekKey } from './periods.ts';

const retainer = (amount: number, startDate: string, endDate: string | null = null) =>
  ({ siteId: 's1', billing: 'monthly', amount, startDate, endDate }) satisfies DatedService;

function costs(
  services: DatedService[],
  from: string,
  to: string,
  groupBy: 'day' | 'week' | 'month' | 'site',
) {
  const byKey = new Map<string, number>();
  accrueCosts(services, { from, to }, groupBy, (key, cost) =>
    byKey.set(key, (byKey.get(key) ?? 0) + cost),
  );
  return byKey;
}

describe('accrueCosts', () => {
  it('spreads a month over its days, the remainder one cent each to its first days', () => {
    const days = costs([retainer(100_00 + 3, '2024-02-01')], '2024-02-01', '2024-02-29', 'day');
    // 10,003 over 29 days: 344 a day, the first 27 days one more.
    expect(days.get('2024-02-01')).toBe(345);
    expect(days.get('2024-02-27')).toBe(345);
    expect(days.get('2024-02-28')).toBe(344);
    expect([...days.values()].reduce((a, b) => a + b, 0)).toBe(10_003);
  });

  it('sums a segment in closed form to what its days add up to', () => {
    const services = [
      retainer(99_999, '2023-11-17', '2024-03-09'),
      retainer(1_000, '2024-01-31'),
      { siteId: 's2', billing: 'one_time', amount: 5_000, startDate: '2024-02-29', endDate: null },
    ] satisfies DatedService[];
    for (const [from, to] of [
      ['2023-12-05', '2024-02-29'],
      ['2024-01-31', '2024-03-09'],
      ['2023-11-01', '2024-04-30'],
    ] as const) {
      const months = costs(services, from, to, 'month');
      const fromDays = new Map<string, number>();
      for (const [day, cost] of costs(services, from, to, 'day')) {
        fromDays.set(day.slice(0, 7), (fromDays.get(day.slice(0, 7)) ?? 0) + cost);
      }
      expect(months).toEqual(fromDays);
    }
  });

  it('groups the same days by week and by site', () => {
    const services = [
      retainer(99_999, '2023-12-20', '2024-01-10'),
      { siteId: 's2', billing: 'one_time', amount: 5_000, startDate: '2024-01-01', endDate: null },
      { siteId: 's2', billing: 'monthly', amount: 3_100, startDate: '2023-12-30', endDate: null },
    ] satisfies DatedService[];
    const [from, to] = ['2023-12-25', '2024-01-14'];
    const byWeek = new Map<string, number>();
    for (const [day, cost] of costs(services, from, to, 'day')) {
      byWeek.set(isoWeekKey(day), (byWeek.get(isoWeekKey(day)) ?? 0) + cost);
    }
    expect(costs(services, from, to, 'week')).toEqual(byWeek);
    const bySite = costs(services, from, to, 'site');
    const total = [...costs(services, from, to, 'month').values()].reduce((a, b) => a + b, 0);
    expect(bySite.get('s1')! + bySite.get('s2')!).toBe(total);
    expect(bySite.get('s2')).toBe(5_000 + 2 * 100 + 14 * 100); // 30–31 Dec, 1–14 Jan at 100 a day
  });

  it('costs nothing outside a service’s dates or the range', () => {
    const services = [retainer(3_100, '2024-05-10', '2024-05-20')];
    expect(costs(services, '2024-05-21', '2024-06-30', 'month').size).toBe(0);
    expect(costs(services, '2024-04-01', '2024-05-09', 'day').size).toBe(0);
    expect(costs(services, '2024-05-15', '2024-05-31', 'month')).toEqual(
      new Map([['2024-05', 600]]),
    );
  });
});
