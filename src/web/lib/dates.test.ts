import { describe, expect, it } from 'vitest';
import {
  addDays,
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
    expect(periodLabel('2026-01')).toBe('Jan 2026');
    expect(periodLabel('2026-01-05')).toBe('Jan 5');
    expect(periodLabel('2026-W02')).toBe('2026-W02');
  });
});
