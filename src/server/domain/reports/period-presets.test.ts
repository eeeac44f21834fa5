import { describe, expect, it } from 'vitest';
import { presetRange, resolvePeriod } from './period-presets.js';

describe('period presets', () => {
  it('resolves every preset against a day, across a year boundary', () => {
    const today = '2026-01-15';
    expect(presetRange('last_30_days', today)).toEqual({ from: '2025-12-16', to: '2026-01-14' });
    expect(presetRange('last_90_days', today)).toEqual({ from: '2025-10-17', to: '2026-01-14' });
    expect(presetRange('last_12_months', today)).toEqual({ from: '2025-01-01', to: '2025-12-31' });
    expect(presetRange('month_to_date', today)).toEqual({ from: '2026-01-01', to: '2026-01-15' });
    expect(presetRange('previous_month', today)).toEqual({ from: '2025-12-01', to: '2025-12-31' });
    expect(presetRange('year_to_date', today)).toEqual({ from: '2026-01-01', to: '2026-01-15' });
  });

  it('ends the previous month on its last day, February of a leap year included', () => {
    expect(presetRange('previous_month', '2028-03-01')).toEqual({
      from: '2028-02-01',
      to: '2028-02-29',
    });
  });

  it("takes today in the tenant's time zone", () => {
    const now = new Date('2026-03-01T03:00:00Z'); // still 28 February in Los Angeles
    expect(resolvePeriod({ preset: 'month_to_date' }, 'America/Los_Angeles', now)).toEqual({
      from: '2026-02-01',
      to: '2026-02-28',
    });
    expect(resolvePeriod({ preset: 'month_to_date' }, 'Europe/Berlin', now)).toEqual({
      from: '2026-03-01',
      to: '2026-03-01',
    });
    expect(resolvePeriod({ from: '2026-01-01', to: '2026-01-31' }, 'UTC', now)).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
    });
  });
});
