/**
 * The fast-check arbitraries of the model-based test (model.test.ts): one
 * generated value is a whole case — a few devices (both meter kinds, resets,
 * DST and :30/:45 zones), the order their readings are sent in (sorted,
 * locally swapped, shuffled: late readings across local days), and the
 * actions mixed into the stream (batches with duplicates equal and
 * different, limit and zone edits, job redelivery, a node swap, checks).
 * Plain data, so fast-check can print, replay (seed + path) and shrink it.
 */
import fc from 'fast-check';
import type { Kind } from './reference.ts';

const MINUTE = 60_000;
/** Readings are laid out over 8 hours from about local midnight, across the DST change and local midnights. */
export const SPAN_MS = 8 * 60 * MINUTE;
/** The most readings one device can have (5-minute steps over SPAN_MS). */
const MAX_SLOTS = SPAN_MS / (5 * MINUTE);
export const MAX_DEVICES = 3;

/** Start instants near interesting days, with the zones that make them interesting. */
export const SCENARIOS = [
  { base: Date.parse('2026-03-28T22:00:00Z'), zones: ['Europe/Bucharest', 'UTC', 'Asia/Kolkata'] }, // spring DST
  { base: Date.parse('2026-10-24T23:00:00Z'), zones: ['Europe/Bucharest', 'Asia/Kathmandu', 'UTC'] }, // autumn DST
  { base: Date.parse('2026-04-04T13:00:00Z'), zones: ['Australia/Lord_Howe', 'Asia/Kolkata'] }, // 30-minute DST
  { base: Date.parse('2026-06-10T16:00:00Z'), zones: ['Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns'] },
] as const;
export const LIMITS = [0.4, 1, 2.5, 6] as const;

/** true about `pct` % of the time; shrinks towards false (the plain case). */
const sometimes = (pct: number) => fc.integer({ min: 0, max: 99 }).map((n) => n >= 100 - pct);

/** One time slot of a device: skipped (null) or a reading (milli-kWh amounts, exact in nano-kWh). */
export interface Slot {
  /** Interval: the value; cumulative: how much the register grew (both × 1e-3 kWh). */
  milli: number;
  /** Cumulative only: the register was reset to resetMilli × 1e-3 kWh. */
  reset: boolean;
  resetMilli: number;
}

export interface DeviceSpec {
  kind: Kind;
  /** Index into the scenario's zones (modulo their count). */
  zone: number;
  limit: number;
  stepMinutes: 5 | 10 | 15;
  /** The first reading is `start` steps after the scenario's base. */
  start: number;
  /** The register's first value (cumulative), × 1e-4 kWh. */
  register: number;
  slots: Array<Slot | null>;
}

/** A check against the model after an action; `day` picks the day view to compare (modulo). */
export type Check = { day: number } | null;

export type Action =
  | {
      kind: 'post';
      size: number;
      /** Resend the first readings of an earlier batch: equal (true) or with another value (false). */
      dup: { batch: number; equal: boolean[] } | null;
      /** The batch carries its own first reading twice. */
      repeatFirst: boolean;
      check: Check;
    }
  | { kind: 'limit'; device: number; limit: number; check: Check }
  | { kind: 'zone'; device: number; zone: number; check: Check }
  | { kind: 'redeliver'; batch: number; check: Check }
  | { kind: 'swap'; check: Check };

export interface CaseSpec {
  scenario: number;
  devices: DeviceSpec[];
  order: 'sorted' | 'swaps' | 'shuffled';
  /** Per reading (in time order): a sort key when shuffled; a swap with the next one when ≡ 0 mod 5. */
  keys: number[];
  actions: Action[];
  /** Picks the day view of the final check (modulo). */
  finalDay: number;
}

const slot: fc.Arbitrary<Slot | null> = fc.option(
  fc.record({
    milli: fc.integer({ min: 0, max: 899 }),
    reset: sometimes(4),
    resetMilli: fc.integer({ min: 0, max: 299 }),
  }),
  { freq: 2 }, // half the slots are skipped: irregular gaps
);

const device: fc.Arbitrary<DeviceSpec> = fc.record({
  kind: fc.constantFrom<Kind>('interval', 'cumulative'),
  zone: fc.nat({ max: 2 }),
  limit: fc.constantFrom(...LIMITS),
  stepMinutes: fc.constantFrom<DeviceSpec['stepMinutes']>(5, 10, 15),
  start: fc.nat({ max: 5 }),
  register: fc.nat({ max: 9999 }),
  slots: fc.array(slot, { minLength: MAX_SLOTS, maxLength: MAX_SLOTS }),
});

/** A check after one action in four (shrinks towards no check). */
const check: fc.Arbitrary<Check> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.record({ day: fc.nat({ max: 99 }) }) },
);

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 72,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      size: fc.integer({ min: 1, max: 24 }),
      dup: fc.oneof(
        { weight: 7, arbitrary: fc.constant(null) },
        {
          weight: 3,
          arbitrary: fc.record({
            batch: fc.nat({ max: 99 }),
            equal: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
          }),
        },
      ),
      repeatFirst: sometimes(10),
      check,
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('limit' as const),
      device: fc.nat({ max: MAX_DEVICES - 1 }),
      limit: fc.constantFrom(...LIMITS),
      check,
    }),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('zone' as const),
      device: fc.nat({ max: MAX_DEVICES - 1 }),
      zone: fc.nat({ max: 2 }),
      check,
    }),
  },
  {
    weight: 9,
    arbitrary: fc.record({ kind: fc.constant('redeliver' as const), batch: fc.nat({ max: 99 }), check }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('swap' as const), check }) },
);

export const caseSpec: fc.Arbitrary<CaseSpec> = fc.record({
  scenario: fc.nat({ max: SCENARIOS.length - 1 }),
  devices: fc.array(device, { minLength: 1, maxLength: MAX_DEVICES }),
  order: fc.constantFrom<CaseSpec['order']>('sorted', 'swaps', 'shuffled'),
  keys: fc.array(fc.nat({ max: 999 }), {
    minLength: MAX_DEVICES * MAX_SLOTS,
    maxLength: MAX_DEVICES * MAX_SLOTS,
  }),
  actions: fc.array(action, { minLength: 1, maxLength: 40, size: 'medium' }),
  finalDay: fc.nat({ max: 99 }),
});

/** A reading of the stream: [device index, ts, value]. */
export type Tuple = [device: number, ts: number, value: number];

/** The readings of `spec`'s devices, in the order they are sent. */
export function readingsOf(spec: CaseSpec): Tuple[] {
  const scenario = SCENARIOS[spec.scenario]!;
  const pool: Tuple[] = [];
  spec.devices.forEach((d, index) => {
    const step = d.stepMinutes * MINUTE;
    let register = d.register / 10;
    let i = 0;
    for (let ts = scenario.base + d.start * step; ts < scenario.base + SPAN_MS; ts += step, i++) {
      const s = d.slots[i];
      if (!s) continue;
      if (d.kind === 'interval') pool.push([index, ts, s.milli / 1000]);
      else {
        register = s.reset ? s.resetMilli / 1000 : Math.round((register + s.milli / 1000) * 1000) / 1000;
        pool.push([index, ts, register]);
      }
    }
  });
  const sorted = pool.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  if (spec.order === 'sorted') return sorted;
  if (spec.order === 'swaps') {
    const out = [...sorted];
    for (let i = 0; i + 1 < out.length; i++)
      if (spec.keys[i]! % 5 === 0) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
    return out;
  }
  return sorted
    .map((t, i) => ({ t, key: spec.keys[i]!, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map(({ t }) => t);
}

/** A one-line summary of a case, for logs (the generated value itself is long). */
export function describeCase(spec: CaseSpec): string {
  const scenario = SCENARIOS[spec.scenario]!;
  const devices = spec.devices
    .map(
      (d) => `${d.kind}/${scenario.zones[d.zone % scenario.zones.length]}/${d.limit}kWh/${d.stepMinutes}min`,
    )
    .join(', ');
  return `${new Date(scenario.base).toISOString()} [${devices}] ${spec.order}, ${spec.actions.length} actions`;
}
