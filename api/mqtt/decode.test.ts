/**
 * The pure part of the MQTT ingest: local wall times to instants (the repeated
 * and the skipped hour of DST) and the three payload formats, including what
 * is ignored and where a refusal points.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from './decode.ts';
import { instantOfLocalTime, instantsOfWallTime, wallClockMs } from './local-time.ts';

const id = '7f1c2a9e-3d4b-4c5d-8e6f-0a1b2c3d4e5f';
const ctx = (now: string, timeZone = 'UTC') => ({ deviceId: id, timeZone, now: Date.parse(now) });
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('local wall time → instant', () => {
  it('reads calendar times only', () => {
    expect(wallClockMs('2026-02-30T10:00:00')).toBeNaN();
    expect(wallClockMs('2026-03-01T24:00:00')).toBeNaN();
    expect(wallClockMs('2026-03-01T10:00:00.250')).toBe(Date.parse('2026-03-01T10:00:00.250Z'));
  });

  it('names two instants in a fall-back hour and picks the one nearest to arrival', () => {
    const wall = wallClockMs('2025-10-26T02:30:00');
    expect(instantsOfWallTime(wall, 'Europe/Berlin')).toEqual([
      Date.parse('2025-10-26T00:30:00Z'),
      Date.parse('2025-10-26T01:30:00Z'),
    ]);
    const at = (arrival: string) =>
      instantOfLocalTime('2025-10-26T02:30:00', 'Europe/Berlin', Date.parse(arrival));
    expect(at('2025-10-26T00:31:00Z')).toBe(Date.parse('2025-10-26T00:30:00Z'));
    expect(at('2025-10-26T01:31:00Z')).toBe(Date.parse('2025-10-26T01:30:00Z'));
  });

  it('reads a time skipped by spring-forward with the offset before the gap; :30 zones are exact', () => {
    expect(instantsOfWallTime(wallClockMs('2026-03-29T02:30:00'), 'Europe/Berlin')).toEqual([]);
    expect(instantOfLocalTime('2026-03-29T02:30:00', 'Europe/Berlin', 0)).toBe(
      Date.parse('2026-03-29T01:30:00Z'),
    );
    expect(instantOfLocalTime('2026-03-01T10:00:00', 'Asia/Kolkata', 0)).toBe(
      Date.parse('2026-03-01T04:30:00Z'),
    );
  });
});

describe('payload formats', () => {
  it('plain: one reading or a batch, the device from the topic; another device in the body is refused', () => {
    expect(
      decodeMessage(
        'plain',
        buf({ timestamp: '2026-03-01T10:00:00Z', value: 1 }),
        ctx('2026-03-02T00:00:00Z'),
      ),
    ).toEqual({
      kind: 'readings',
      readings: [{ deviceId: id, ts: Date.parse('2026-03-01T10:00:00Z'), value: 1 }],
    });
    const other = decodeMessage(
      'plain',
      buf({
        readings: [
          { deviceId: '00000000-0000-4000-8000-000000000000', timestamp: 1_780_000_000_000, value: 1 },
        ],
      }),
      ctx('2026-09-01T00:00:00Z'),
    );
    expect(other.kind === 'invalid' && other.error.details?.[0]?.path).toBe('readings.0.deviceId');
    const future = decodeMessage(
      'plain',
      buf({ timestamp: '2026-03-01T10:10:00Z', value: 1 }),
      ctx('2026-03-01T10:00:00Z'),
    );
    expect(future.kind === 'invalid' && future.error.details?.[0]).toEqual({
      path: 'timestamp',
      message: 'is in the future',
    });
  });

  it('tasmota: a Time with an offset (SetOption52 1) is taken as it is, whatever the arrival', () => {
    const withOffset = decodeMessage(
      'tasmota',
      buf({ Time: '2025-10-26T02:30:00+02:00', ENERGY: { Total: 5 } }),
      ctx('2025-10-26T01:31:00Z', 'Europe/Berlin'), // arrival near the second 02:30; the offset names the first
    );
    expect(withOffset).toEqual({
      kind: 'readings',
      readings: [{ deviceId: id, ts: Date.parse('2025-10-26T00:30:00Z'), value: 5 }],
    });
  });

  it('tasmota: ignores a SENSOR without ENERGY; points at ENERGY.Total and Time', () => {
    expect(
      decodeMessage(
        'tasmota',
        buf({ Time: '2026-03-01T10:00:00', AM2301: { Temperature: 20 } }),
        ctx('2026-03-01T10:00:00Z'),
      ).kind,
    ).toBe('ignored');
    const negative = decodeMessage(
      'tasmota',
      buf({ Time: '2026-03-01T10:00:00', ENERGY: { Total: -1 } }),
      ctx('2026-03-01T10:00:00Z'),
    );
    expect(negative.kind === 'invalid' && negative.error.details?.[0]?.path).toBe('ENERGY.Total');
    const badTime = decodeMessage(
      'tasmota',
      buf({ Time: '2026-03-01 10:00', ENERGY: { Total: 1 } }),
      ctx('2026-03-01T10:00:00Z'),
    );
    expect(badTime.kind === 'invalid' && badTime.error.details?.[0]?.path).toBe('Time');
  });

  it('shelly: Wh → kWh at minute_ts; channels add up; a status without aenergy is ignored', () => {
    const minute = Date.parse('2026-03-01T10:00:00Z') / 1000;
    const two = decodeMessage(
      'shelly',
      buf({
        method: 'NotifyStatus',
        params: {
          'switch:0': { aenergy: { total: 1500, minute_ts: minute } },
          'switch:1': { aenergy: { total: 500, minute_ts: minute } },
        },
      }),
      ctx('2026-03-01T10:00:30Z'),
    );
    expect(two).toEqual({ kind: 'readings', readings: [{ deviceId: id, ts: minute * 1000, value: 2 }] });
    expect(
      decodeMessage(
        'shelly',
        buf({ method: 'NotifyStatus', params: { 'switch:0': { apower: 3 } } }),
        ctx('2026-03-01T10:00:00Z'),
      ).kind,
    ).toBe('ignored');
    const noMinute = decodeMessage('shelly', buf({ aenergy: { total: 1 } }), ctx('2026-03-01T10:00:00Z'));
    expect(noMinute.kind === 'invalid' && noMinute.error.details?.[0]?.path).toBe('aenergy.minute_ts');
  });
});
