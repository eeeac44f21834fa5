import type { GroupBy } from '../../../shared/schemas/roi.ts';
import { addDays, DAY_MS, daysBetween, isoWeekKey, toMs } from './periods.ts';

/** A service whose cost accrues by date alone: a monthly retainer or a one-off job. */
export interface DatedService {
  siteId: string;
  billing: 'monthly' | 'one_time';
  /** Minor units: per calendar month (monthly) or once (one_time). */
  amount: number;
  startDate: string;
  /** Last day it runs (monthly), or null: open-ended. */
  endDate: string | null;
}

/** The key of the bucket a cost on `date` of a site falls in. */
function bucketKey(groupBy: GroupBy, date: string, siteId: string): string {
  switch (groupBy) {
    case 'day':
      return date;
    case 'week':
      return isoWeekKey(date);
    case 'month':
      return date.slice(0, 7);
    case 'site':
      return siteId;
  }
}

/** Months since year 0 of a `YYYY-MM-DD` date: year × 12 + month − 1. */
const monthIndex = (date: string) => Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;

/** `YYYY-MM` of a month index. */
const monthKey = (month: number) =>
  `${String(Math.floor(month / 12)).padStart(4, '0')}-${String((month % 12) + 1).padStart(2, '0')}`;

/** Days in a month index (Gregorian). */
function daysInMonth(month: number): number {
  const m = month % 12;
  if (m !== 1) return m === 3 || m === 5 || m === 8 || m === 10 ? 30 : 31;
  const y = Math.floor(month / 12);
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
}

/**
 * Accrues the services' cost inside [from, to], as the contract defines it, and hands each
 * bucket's share to `add`: a one-off job costs its amount on its start date; a monthly retainer
 * spreads each calendar month's amount over that month's days (amount ÷ days, the remainder's
 * cents one each to its first days, so a whole month sums to exactly the amount), on each day
 * of [startDate, endDate] (open-ended: up to `to`). For month and site groupings a month's
 * segment [a, b] is summed in closed form, (b − a + 1) × q + max(0, min(b, r) − a + 1) with q, r
 * the quotient and remainder of amount ÷ days (days as day-of-month numbers); for days and weeks
 * each day's cost is added up over the services first, and handed over once per day.
 */
export function accrueCosts(
  services: DatedService[],
  range: { from: string; to: string },
  groupBy: GroupBy,
  add: (key: string, cost: number) => void,
): void {
  const perDay = groupBy === 'day' || groupBy === 'week';
  const fromMs = toMs(range.from);
  const byDay: number[] = perDay ? new Array(daysBetween(range.from, range.to) + 1).fill(0) : [];
  for (const service of services) {
    if (service.amount <= 0) continue;
    if (service.billing === 'one_time') {
      const on = service.startDate;
      if (on < range.from || on > range.to) continue;
      if (perDay) byDay[daysBetween(range.from, on)]! += service.amount;
      else add(bucketKey(groupBy, on, service.siteId), service.amount);
      continue;
    }
    const first = service.startDate > range.from ? service.startDate : range.from;
    const last =
      service.endDate !== null && service.endDate < range.to ? service.endDate : range.to;
    if (first > last) continue;
    // Month by month as numbers (a year of reports over many services made the date strings of
    // every month a tenth of an uncached report's transaction).
    const [firstMonth, firstDay] = [monthIndex(first), Number(first.slice(8, 10))];
    const [lastMonth, lastDay] = [monthIndex(last), Number(last.slice(8, 10))];
    for (let month = firstMonth; month <= lastMonth; month++) {
      const days = daysInMonth(month);
      const q = Math.floor(service.amount / days);
      const r = service.amount % days;
      const a = month === firstMonth ? firstDay : 1;
      const b = month === lastMonth ? lastDay : days;
      if (!perDay) {
        const cost = (b - a + 1) * q + Math.max(0, Math.min(b, r) - a + 1);
        add(groupBy === 'site' ? service.siteId : monthKey(month), cost);
        continue;
      }
      // Day `a` of this month is this many days into the range.
      const offset = (Date.UTC(Math.floor(month / 12), month % 12, a) - fromMs) / DAY_MS;
      for (let day = a; day <= b; day++) byDay[offset + day - a]! += q + (day <= r ? 1 : 0);
    }
  }
  byDay.forEach((cost, i) => {
    if (cost !== 0) add(bucketKey(groupBy, addDays(range.from, i), ''), cost);
  });
}
