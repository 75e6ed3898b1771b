/**
 * The gentle generator behind `ems start --demo`: in the same process as the
 * server, every interval it posts one generated reading per demo device at the
 * current (aligned) time, so dashboards move and limits are sometimes crossed.
 * Failures are reported and the next tick tries again; it never stops the host.
 */
import type { Device } from '../api/contract.ts';
import { isAbortError, sleep } from './backoff.ts';
import { toWire } from './deliver.ts';
import { HttpSink } from './http-sink.ts';
import { deviceSeed } from './prng.ts';
import { GeneratedMeter, LoadProfile, PEAK_MEAN_KW } from './profile.ts';
import type { ReadingSink } from './sink.ts';

export interface DemoSimulatorOptions {
  /** Base URL of the api, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Admin token allowed to post readings for every demo device. */
  token: string;
  deviceIds: string[];
  /**
   * What is known about the devices: meter kind (default interval), time zone
   * of the day's shape (default UTC) and limit (the profile is sized so the
   * evening peak sits near 85% of it and spikes sometimes cross it).
   */
  devices?: Pick<Device, 'id' | 'meterKind' | 'timeZone' | 'maxHourlyKwh'>[];
  /** Between readings; default 10 s. */
  intervalMs?: number;
  seed?: number;
  /** Called for a failed tick; default: one line on stderr. */
  onError?: (error: Error) => void;
  /** Replaces the HTTP transport. */
  sink?: ReadingSink;
}

export interface DemoSimulator {
  /** Stops ticking; resolves once the tick in flight has finished. */
  stop(): Promise<void>;
}

export function startDemoSimulator(opts: DemoSimulatorOptions): DemoSimulator {
  const intervalMs = opts.intervalMs ?? 10_000;
  const seed = opts.seed ?? 1;
  const stopping = new AbortController();
  const sink: ReadingSink =
    opts.sink ??
    new HttpSink({ url: opts.url, token: opts.token, retry: { maxDelayMs: intervalMs, maxAttempts: 5 } });
  const onError =
    opts.onError ?? ((error: Error) => process.stderr.write(`ems demo simulator: ${error.message}\n`));
  const known = new Map((opts.devices ?? []).map((device) => [device.id, device]));
  // Registers start at zero: after a restart the server sees a meter reset and
  // counts exactly the first interval, which is the truth.
  const meters = opts.deviceIds.map((id) => {
    const device = known.get(id);
    const profile = new LoadProfile({
      seed: deviceSeed(seed, id),
      intervalMs,
      timeZone: device?.timeZone,
      scale: device ? (0.85 * device.maxHourlyKwh) / PEAK_MEAN_KW : undefined,
    });
    return { id, meter: new GeneratedMeter(profile, device?.meterKind ?? 'interval') };
  });

  const loop = async () => {
    while (!stopping.signal.aborted) {
      const tick = Math.ceil((Date.now() + 1) / intervalMs) * intervalMs;
      try {
        await sleep(tick - Date.now(), stopping.signal);
        const readings = meters.map(({ id, meter }) =>
          toWire({ deviceId: id, at: tick, value: meter.read(tick).value }),
        );
        if (readings.length > 0) await sink.send(readings, stopping.signal);
      } catch (error) {
        if (isAbortError(error)) break;
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };
  const running = loop();
  return {
    async stop() {
      stopping.abort();
      await running;
      await sink.close?.();
    },
  };
}
