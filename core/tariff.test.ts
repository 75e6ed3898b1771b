// Tariff arithmetic: the price in force at a local hour's start (DST days
// included), minor units per currency, and exact decimal sums rounded once.
import { describe, expect, it } from 'vitest';
import {
  addDecimal,
  isCurrency,
  minorUnits,
  moneyOf,
  parseDecimal,
  priceAt,
  roundDecimal,
  type Tariff,
  ZERO,
} from './tariff.ts';
import { dayHours } from './time.ts';

const nightDay: Tariff = {
  currency: 'EUR',
  periods: [
    { from: '00:00', pricePerKwh: 0.1 },
    { from: '07:00', pricePerKwh: 0.3 },
  ],
};

describe('priceAt', () => {
  // Spring: 00, 01, 03, 04, 05, 06 are night (02:00 does not exist); autumn: 02:00 comes twice.
  it.each([
    ['spring', '2026-03-29', 23, 6],
    ['autumn', '2026-10-25', 25, 8],
  ])('prices each local hour of the %s DST day by its wall clock', (_, date, hourCount, nightHours) => {
    const hours = dayHours(date, 'Europe/Berlin');
    expect(hours).toHaveLength(hourCount);
    const prices = hours.map((h) => priceAt(nightDay, h, 'Europe/Berlin'));
    expect(prices.filter((p) => p === 0.1)).toHaveLength(nightHours);
    expect(prices.filter((p) => p === 0.3)).toHaveLength(17);
  });

  it('follows :30 zones by their local clock', () => {
    // 01:30Z is 07:00 in Asia/Kolkata.
    expect(priceAt(nightDay, Date.parse('2026-01-10T01:30:00Z'), 'Asia/Kolkata')).toBe(0.3);
    expect(priceAt(nightDay, Date.parse('2026-01-10T00:30:00Z'), 'Asia/Kolkata')).toBe(0.1);
  });
});

describe('money', () => {
  it('knows ISO 4217 codes and their minor units', () => {
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('eur')).toBe(false);
    expect(isCurrency('EURO')).toBe(false);
    expect(isCurrency('ABC')).toBe(false);
    expect(minorUnits('EUR')).toBe(2);
    expect(minorUnits('JPY')).toBe(0);
    expect(minorUnits('KWD')).toBe(3);
  });

  it('sums exactly and rounds once (a float sum of 0.1 + 0.2 would not)', () => {
    const sum = ['0.1', '0.2', '0.000000001'].map(parseDecimal).reduce(addDecimal, ZERO);
    expect(sum).toEqual({ units: 300000001n, scale: 9 });
    expect(roundDecimal(sum, 2)).toBe(0.3);
    // 1000 hours of 0.0049 each: rounding each hour gives 0, rounding once gives 4.90.
    const many = Array.from({ length: 1000 }, () => parseDecimal('0.0049')).reduce(addDecimal, ZERO);
    expect(moneyOf(many, 'EUR')).toBe(4.9);
    expect(moneyOf(parseDecimal('0.005'), 'EUR')).toBe(0.01);
    expect(moneyOf(parseDecimal('1.5'), 'JPY')).toBe(2);
    expect(parseDecimal('1e-7')).toEqual({ units: 1n, scale: 7 });
    expect(parseDecimal('2.5e3')).toEqual({ units: 2500n, scale: 0 });
  });
});
