import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './google-api.ts';
import { decimalToMinor } from './sync-site.ts';

describe('Google values', () => {
  it('converts GA4 decimal revenue to minor units exactly, half away from zero', () => {
    expect(decimalToMinor('1234.565', 2)).toBe(123457);
    expect(decimalToMinor('1234.564', 2)).toBe(123456);
    expect(decimalToMinor('0.005', 2)).toBe(1);
    expect(decimalToMinor('12', 2)).toBe(1200);
    expect(decimalToMinor('-1.005', 2)).toBe(-101);
    expect(decimalToMinor('999.5', 0)).toBe(1000);
    expect(decimalToMinor('1.23456', 3)).toBe(1235);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});
