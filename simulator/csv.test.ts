import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CsvError, parseMeterCsv } from './csv.ts';

const SENSOR_CSV = new URL('../../shared/data/sensor.csv', import.meta.url);

describe('parseMeterCsv — classic register format', () => {
  it('reads the reference sensor.csv: one value per line, exact numbers', () => {
    const csv = parseMeterCsv(readFileSync(SENSOR_CSV, 'utf8'), 'sensor.csv');
    expect(csv.format).toBe('register');
    if (csv.format !== 'register') return;
    expect(csv.values).toHaveLength(3999);
    expect(csv.values.slice(0, 4)).toEqual([0, 0.5, 1, 3.64170771]);
    expect(csv.values.at(-1)).toBe(47973.02036);
  });

  it('accepts CRLF line ends and one trailing newline', () => {
    const csv = parseMeterCsv('0\r\n1.5\r\n2\r\n', 'f.csv');
    expect(csv).toEqual({ format: 'register', values: [0, 1.5, 2] });
  });

  it('refuses a blank line in the middle, naming its line', () => {
    expect(() => parseMeterCsv('0\n1\n\n3\n', 'meter.csv')).toThrow('meter.csv line 3: blank line');
  });

  it('refuses garbage and negative values, naming the line', () => {
    expect(() => parseMeterCsv('0\n1\nabc\n', 'm.csv')).toThrow(
      'm.csv line 3: "abc" is not a non-negative number',
    );
    expect(() => parseMeterCsv('0\n-1\n', 'm.csv')).toThrow('m.csv line 2');
    const error = (() => {
      try {
        parseMeterCsv('1\n2\n3\n4,5\n', 'm.csv');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CsvError);
    expect((error as CsvError).line).toBe(4);
  });

  it('refuses an empty file', () => {
    expect(() => parseMeterCsv('', 'empty.csv')).toThrow('empty.csv line 1: the file is empty');
  });
});

describe('parseMeterCsv — table with a header', () => {
  it('takes timestamps and device ids from the file, in any column order', () => {
    const text = [
      'device_id,measurement_value,timestamp',
      'a,1.5,2026-03-10T00:00:00+02:00',
      'b,0,2026-03-09T22:10:00Z',
      'a,2.25,1773093600000',
    ].join('\n');
    const csv = parseMeterCsv(text, 't.csv');
    expect(csv).toEqual({
      format: 'table',
      rows: [
        { deviceId: 'a', at: Date.parse('2026-03-09T22:00:00Z'), value: 1.5 },
        { deviceId: 'b', at: Date.parse('2026-03-09T22:10:00Z'), value: 0 },
        { deviceId: 'a', at: 1773093600000, value: 2.25 },
      ],
    });
  });

  it('refuses a timestamp without an offset (its hour would be a guess)', () => {
    const text = 'timestamp,device_id,measurement_value\n2026-03-10T00:00:00,a,1\n';
    expect(() => parseMeterCsv(text, 't.csv')).toThrow(
      't.csv line 2: "2026-03-10T00:00:00" is not a timestamp',
    );
  });

  it('refuses blank and short rows and a header without the needed columns', () => {
    const header = 'timestamp,device_id,measurement_value';
    expect(() => parseMeterCsv(`${header}\n2026-03-10T00:00Z,a,1\n\n`, 't.csv')).toThrow(
      't.csv line 3: blank line',
    );
    expect(() => parseMeterCsv(`${header}\n2026-03-10T00:00Z,a\n`, 't.csv')).toThrow(
      't.csv line 2: expected 3 columns, found 2',
    );
    expect(() => parseMeterCsv(`${header}\n2026-03-10T00:00Z,a,x\n`, 't.csv')).toThrow('t.csv line 2: "x"');
    expect(() => parseMeterCsv('timestamp,sensor,reading\n', 't.csv')).toThrow('t.csv line 1: header');
  });
});
