/**
 * The generated load profile: a household-like day (low at night, a morning
 * and a larger evening peak, a daytime plateau), a different rhythm on
 * weekends, multiplicative noise and occasional spikes. Pure and seeded: the
 * same options give the same series. The formula is documented in README.md;
 * the constants below are that formula's numbers.
 */
import { type LocalClock, localClock } from './local-clock.ts';
import { mulberry32, normal, type Random } from './prng.ts';

/** A bump of power centred on an hour of the day (Gaussian, wrapping at midnight). */
export interface Bump {
  center: number;
  width: number;
  kw: number;
}

/** Powers in kW at scale 1 (an ordinary household). */
export const PROFILE = {
  baseKw: 0.3,
  weekday: [
    { center: 7.5, width: 1.0, kw: 1.2 },
    { center: 13.0, width: 3.0, kw: 0.4 },
    { center: 19.0, width: 1.5, kw: 2.0 },
  ] satisfies Bump[],
  weekend: [
    { center: 9.5, width: 1.5, kw: 0.9 },
    { center: 13.5, width: 3.0, kw: 0.9 },
    { center: 19.5, width: 2.0, kw: 2.0 },
  ] satisfies Bump[],
  noise: 0.1,
  spikeRate: 0.02,
  spikeKw: 3.0,
} as const;

/** The evening peak's mean power at scale 1, used to size a profile to a device's limit. */
export const PEAK_MEAN_KW = 2.35;

/** Energy resolution of generated readings: 0.1 Wh, kept as integers so sums are exact. */
export const UNITS_PER_KWH = 10_000;

function bump(hour: number, { center, width, kw }: Bump): number {
  const distance = Math.min(Math.abs(hour - center), 24 - Math.abs(hour - center));
  return kw * Math.exp(-0.5 * (distance / width) ** 2);
}

/** Mean power (kW, scale 1) at a local clock time: the noiseless shape. */
export function meanPowerKw({ hour, weekend }: LocalClock): number {
  const bumps = weekend ? PROFILE.weekend : PROFILE.weekday;
  return bumps.reduce<number>((kw, b) => kw + bump(hour, b), PROFILE.baseKw);
}

export interface ProfileOptions {
  /** Seed of this device's series. */
  seed: number;
  intervalMs: number;
  /** IANA zone whose clock the day follows; default UTC. */
  timeZone?: string;
  /** Multiplies every power; default 0.8–1.2 drawn from the seed (devices differ in size). */
  scale?: number;
  /** Relative standard deviation of the noise; default 0.1. */
  noise?: number;
  /** Probability that an interval holds a spike; default 0.02. */
  spikeRate?: number;
}

export interface IntervalEnergy {
  /** End of the interval (the reading's timestamp). */
  at: number;
  /** Energy used in the interval, in 1/UNITS_PER_KWH kWh. */
  units: number;
  spike: boolean;
}

/**
 * Draws the energy of successive intervals. Each call consumes the same number
 * of random draws whatever happens, so a spike never shifts the rest of the series.
 */
export class LoadProfile {
  readonly scale: number;
  private readonly random: Random;
  private readonly timeZone: string;
  private readonly noise: number;
  private readonly spikeRate: number;

  constructor(private readonly options: ProfileOptions) {
    this.random = mulberry32(options.seed);
    this.scale = options.scale ?? 0.8 + 0.4 * this.random();
    this.timeZone = options.timeZone ?? 'UTC';
    this.noise = options.noise ?? PROFILE.noise;
    this.spikeRate = options.spikeRate ?? PROFILE.spikeRate;
  }

  /** The interval that ends at `at`, shaped by the clock at its midpoint. */
  next(at: number): IntervalEnergy {
    const { intervalMs } = this.options;
    const clock = localClock(at - intervalMs / 2, this.timeZone);
    const noise = 1 + this.noise * normal(this.random);
    const spike = this.random() < this.spikeRate;
    const spikeSize = 1 + this.random();
    let kw = Math.max(0, meanPowerKw(clock) * noise) * this.scale;
    if (spike) kw += PROFILE.spikeKw * spikeSize * this.scale;
    const units = Math.round((kw * intervalMs * UNITS_PER_KWH) / 3_600_000);
    return { at, units, spike };
  }
}

export type MeterKind = 'interval' | 'cumulative';

/**
 * Turns interval energies into what a meter of the given kind reports:
 * the energy itself, or the running register (exact: summed in integer units).
 */
export class GeneratedMeter {
  private registerUnits: number;

  constructor(
    private readonly profile: LoadProfile,
    readonly meterKind: MeterKind,
    initialRegisterKwh = 0,
  ) {
    this.registerUnits = Math.round(initialRegisterKwh * UNITS_PER_KWH);
  }

  /** The reading at `at` (kWh). */
  read(at: number): { value: number; kwh: number; spike: boolean } {
    const { units, spike } = this.profile.next(at);
    this.registerUnits += units;
    const kwh = units / UNITS_PER_KWH;
    const value = this.meterKind === 'cumulative' ? this.registerUnits / UNITS_PER_KWH : kwh;
    return { value, kwh, spike };
  }
}
