import { describe, expect, it } from 'vitest';
import {
  currencyDigits,
  formatMoney,
  formatPercent,
  minorToInput,
  parseMoney,
  relativeChange,
} from './money.ts';

describe('money in minor units', () => {
  it('knows how many decimals a currency has', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
    expect(currencyDigits('nope')).toBe(2);
  });

  it('formats minor units in the currency', () => {
    expect(formatMoney(123456, 'USD')).toMatch(/1,234\.56/);
    expect(formatMoney(-5, 'USD')).toMatch(/0\.05/);
    expect(formatMoney(1500, 'JPY')).toMatch(/1,500/);
    expect(formatMoney(null, 'USD')).toBe('—');
  });

  it('parses typed amounts exactly, without float drift', () => {
    expect(parseMoney('1234.56', 'USD')).toBe(123456);
    expect(parseMoney('0.29', 'USD')).toBe(29); // 0.29 * 100 is 28.999999999999996 in floating point
    expect(parseMoney('1,500', 'USD')).toBe(150000);
    expect(parseMoney('12.5', 'USD')).toBe(1250);
    expect(parseMoney('12.345', 'USD')).toBeNull();
    expect(parseMoney('-3', 'USD')).toBeNull();
    expect(parseMoney('abc', 'USD')).toBeNull();
    expect(parseMoney('1500', 'JPY')).toBe(1500);
    expect(parseMoney('1.5', 'JPY')).toBeNull();
  });

  it('round-trips an amount through the input', () => {
    for (const minor of [0, 5, 99, 100, 123456, 1e12]) {
      expect(parseMoney(minorToInput(minor, 'USD'), 'USD')).toBe(minor);
    }
    expect(minorToInput(7, 'USD')).toBe('0.07');
  });

  it('computes the change against the previous period', () => {
    expect(relativeChange(150, 100)).toBeCloseTo(0.5);
    expect(relativeChange(50, 100)).toBeCloseTo(-0.5);
    expect(relativeChange(-50, -100)).toBeCloseTo(0.5); // a smaller loss is an improvement
    expect(relativeChange(10, 0)).toBeNull();
    expect(relativeChange(null, 10)).toBeNull();
  });

  it('formats ratios as percentages', () => {
    expect(formatPercent(0.253)).toBe('25.3%');
    expect(formatPercent(-1)).toBe('-100%');
    expect(formatPercent(null)).toBe('—');
  });
});
