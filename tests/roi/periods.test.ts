import { describe, expect, it } from 'vitest';
import { todayIn } from '../../src/server/domain/reports/periods.ts';

describe('todayIn', () => {
  it("follows the zone's midnight to the minute, however it is asked", () => {
    const at = (iso: string) => new Date(iso);
    // New York is UTC-5 on 7 March 2026; its day changes at 05:00 UTC.
    expect(todayIn('America/New_York', at('2026-03-08T04:59:59Z'))).toBe('2026-03-07');
    expect(todayIn('America/New_York', at('2026-03-08T05:00:00Z'))).toBe('2026-03-08');
    expect(todayIn('America/New_York', at('2026-03-08T04:59:00Z'))).toBe('2026-03-07');
    // Kolkata is UTC+5:30; Kiritimati UTC+14, a day ahead of UTC for ten hours.
    expect(todayIn('Asia/Kolkata', at('2026-03-07T18:29:59Z'))).toBe('2026-03-07');
    expect(todayIn('Asia/Kolkata', at('2026-03-07T18:30:00Z'))).toBe('2026-03-08');
    expect(todayIn('Pacific/Kiritimati', at('2026-03-07T10:00:00Z'))).toBe('2026-03-08');
    expect(todayIn('Not/AZone', at('2026-03-07T23:59:59Z'))).toBe('2026-03-07');
  });
});
