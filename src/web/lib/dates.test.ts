import { describe, expect, it } from 'vitest';
import {
  addDays,
  formatDateRange,
  isoWeekMonday,
  presetRange,
  seriesLabel,
  todayIn,
  yearBefore,
  daysInclusive,
  groupingFor,
  periodLabel,
  presetPeriod,
  previousPeriod,
} from './dates.ts';

describe('report periods', () => {
  const now = new Date('2026-03-01T10:00:00Z');

  it('builds preset periods ending today, both ends included', () => {
    expect(presetPeriod('30d', now)).toEqual({ from: '2026-01-31', to: '2026-03-01' });
    expect(daysInclusive('2026-01-31', '2026-03-01')).toBe(30);
    expect(presetPeriod('12m', now)).toEqual({ from: '2025-03-02', to: '2026-03-01' });
    expect(presetPeriod('ytd', now)).toEqual({ from: '2026-01-01', to: '2026-03-01' });
  });

  it('compares with the period of the same length just before', () => {
    expect(previousPeriod({ from: '2026-01-31', to: '2026-03-01' })).toEqual({
      from: '2026-01-01',
      to: '2026-01-30',
    });
    expect(previousPeriod({ from: '2026-03-01', to: '2026-03-01' })).toEqual({
      from: '2026-02-28',
      to: '2026-02-28',
    });
  });

  it('crosses month, year and leap-day boundaries in UTC days', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2026-03-29', -1)).toBe('2026-03-28');
  });

  it('picks a readable grouping for the period', () => {
    expect(groupingFor({ from: '2026-01-01', to: '2026-01-31' })).toBe('day');
    expect(groupingFor({ from: '2026-01-01', to: '2026-04-30' })).toBe('week');
    expect(groupingFor({ from: '2025-01-01', to: '2025-12-31' })).toBe('month');
  });

  it('labels report series keys', () => {
    expect(periodLabel('2026-01')).toBe(seriesLabel('2026-01'));
    expect(periodLabel('2026-W02')).toBe(seriesLabel('2026-W02'));
    expect(periodLabel('a-site-id')).toBe('a-site-id');
  });
});

describe('dashboard periods', () => {
  it('resolves the named periods to whole days and whole months, as the server does', () => {
    const today = '2026-03-15';
    expect(presetRange('last_12_months', today)).toEqual({ from: '2025-03-01', to: '2026-02-28' });
    expect(presetRange('month_to_date', today)).toEqual({ from: '2026-03-01', to: '2026-03-15' });
    expect(presetRange('previous_month', today)).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(presetRange('last_30_days', today)).toEqual({ from: '2026-02-13', to: '2026-03-14' });
    expect(daysInclusive('2026-02-13', '2026-03-14')).toBe(30);
    expect(presetRange('last_90_days', today).to).toBe('2026-03-14');
    expect(presetRange('year_to_date', today)).toEqual({ from: '2026-01-01', to: '2026-03-15' });
    expect(presetRange('previous_month', '2026-01-10')).toEqual({
      from: '2025-12-01',
      to: '2025-12-31',
    });
    expect(presetRange('last_12_months', '2024-03-01')).toEqual({
      from: '2023-03-01',
      to: '2024-02-29',
    });
  });

  it("takes today's date in the workspace's time zone", () => {
    const now = new Date('2026-03-01T02:00:00Z');
    expect(todayIn('UTC', now)).toBe('2026-03-01');
    expect(todayIn('America/New_York', now)).toBe('2026-02-28');
    expect(todayIn('Not/AZone', now)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('compares with the same dates a year before', () => {
    expect(yearBefore({ from: '2025-03-01', to: '2026-02-28' })).toEqual({
      from: '2024-03-01',
      to: '2025-02-28',
    });
    expect(yearBefore({ from: '2024-02-01', to: '2024-02-29' })).toEqual({
      from: '2023-02-01',
      to: '2023-02-28',
    });
  });
});

describe('labels a person reads', () => {
  it('finds the Monday of an ISO week', () => {
    expect(isoWeekMonday(2026, 2)).toBe('2026-01-05');
    expect(isoWeekMonday(2026, 1)).toBe('2025-12-29');
    expect(isoWeekMonday(2021, 1)).toBe('2021-01-04');
    expect(isoWeekMonday(2020, 53)).toBe('2020-12-28');
  });

  it('writes weeks as their days, months and days shortly, in the locale', () => {
    const dash = /\s?–\s?/;
    expect(seriesLabel('2026-W02', undefined, 'en-US')).toMatch(
      new RegExp(`^Jan 5${dash.source}11$`),
    );
    expect(seriesLabel('2026-W05', undefined, 'en-US')).toMatch(
      new RegExp(`^Jan 26${dash.source}Feb 1$`),
    );
    expect(seriesLabel('2026-W01', undefined, 'en-US')).toMatch(/^Dec 29, 2025\s?–\s?Jan 4, 2026$/);
    // A week cut by the report's range shows only its days in the range.
    expect(seriesLabel('2026-W02', { from: '2026-01-07', to: '2026-03-01' }, 'en-US')).toMatch(
      new RegExp(`^Jan 7${dash.source}11$`),
    );
    expect(seriesLabel('2026-W02', { from: '2026-01-11', to: '2026-03-01' }, 'en-US')).toBe(
      'Jan 11',
    );
    expect(seriesLabel('2026-01', undefined, 'en-US')).toBe('Jan 2026');
    expect(seriesLabel('2026-01-05', undefined, 'en-US')).toBe('Jan 5');
    expect(seriesLabel('2026-01-05', undefined, 'de-DE')).toBe('5. Jan.');
    expect(seriesLabel('a-site-id')).toBe('a-site-id');
  });

  it('writes a range of dates once, in the locale', () => {
    expect(formatDateRange('2025-12-01', '2026-11-30', 'en-US')).toMatch(
      /^Dec 1, 2025\s?–\s?Nov 30, 2026$/,
    );
    expect(formatDateRange('2026-01-05', '2026-01-05', 'en-US')).toBe('Jan 5, 2026');
  });
});
