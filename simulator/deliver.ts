/**
 * The delivery loop: takes readings in time order, waits until each is due,
 * packs them into batches and hands them to a `ReadingSink` with a bounded
 * number of batches in flight.
 *
 * Devices are spread over `concurrency` lanes and each lane sends its batches
 * one after another, so one device's readings always arrive in order — a
 * cumulative register that arrived out of order would look like a meter reset.
 * Stopping (the signal, or a batch refused for good) sends nothing new, lets
 * the batches already on the wire finish, and gives up pending retries.
 */
import { sleep as defaultSleep, isAbortError } from './backoff.ts';
import type { Pacing, SimReading } from './schedule.ts';
import type { Reading, ReadingSink } from './sink.ts';

/** Live counters, read by the progress output while delivery runs. */
export interface DeliveryStats {
  /** Readings taken from the source into batches. */
  queued: number;
  /** Readings in batches the sink confirmed. */
  delivered: number;
  /** Sum of the receiver's `accepted` counts. */
  accepted: number;
  batches: number;
  /** Failed attempts that were (or were about to be) retried; counted by the sink's onRetry. */
  retries: number;
  lastRetryReason?: string;
  /** Readings never confirmed because delivery stopped. */
  abandoned: number;
}

export function emptyStats(): DeliveryStats {
  return { queued: 0, delivered: 0, accepted: 0, batches: 0, retries: 0, abandoned: 0 };
}

export interface DeliveryOptions {
  sink: ReadingSink;
  pacing: Pacing;
  /** Readings per POST (1–5000). */
  batchSize: number;
  /** Batches in flight at most (lanes). */
  concurrency: number;
  /** Aborting it stops delivery gracefully (SIGINT). */
  signal?: AbortSignal;
  stats?: DeliveryStats;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface DeliveryResult {
  outcome: 'done' | 'stopped' | 'failed';
  /** Why delivery failed: usually a `SinkRejectedError`. */
  error?: Error;
  stats: DeliveryStats;
}

interface Lane {
  batch: SimReading[];
  /** Completes when the lane's last handed-over batch is finished (never rejects). */
  tail: Promise<void>;
}

export function toWire(reading: SimReading): Reading {
  return { deviceId: reading.deviceId, timestamp: new Date(reading.at).toISOString(), value: reading.value };
}

export async function deliver(
  readings: Iterable<SimReading>,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const { sink, pacing, batchSize } = options;
  const stats = options.stats ?? emptyStats();
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const stop = new AbortController();
  let failure: Error | undefined;
  const onOuterAbort = () => stop.abort();
  if (options.signal?.aborted) stop.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const lanes: Lane[] = Array.from({ length: Math.max(1, options.concurrency) }, () => ({
    batch: [],
    tail: Promise.resolve(),
  }));
  const laneOfDevice = new Map<string, Lane>();
  const laneOf = (deviceId: string): Lane => {
    let lane = laneOfDevice.get(deviceId);
    if (!lane) {
      lane = lanes[laneOfDevice.size % lanes.length]!;
      laneOfDevice.set(deviceId, lane);
    }
    return lane;
  };

  const sendBatch = async (batch: SimReading[]): Promise<void> => {
    if (stop.signal.aborted) {
      stats.abandoned += batch.length;
      return;
    }
    try {
      const ack = await sink.send(batch.map(toWire), stop.signal);
      stats.delivered += batch.length;
      stats.accepted += ack.accepted;
      stats.batches++;
    } catch (error) {
      stats.abandoned += batch.length;
      if (!isAbortError(error)) {
        failure ??= error instanceof Error ? error : new Error(String(error));
        stop.abort();
      }
    }
  };

  /** Hands the lane's batch over; resolves when the batch before it is finished (backpressure). */
  const flush = (lane: Lane): Promise<void> => {
    const previous = lane.tail;
    if (lane.batch.length === 0) return previous;
    const batch = lane.batch;
    lane.batch = [];
    lane.tail = previous.then(() => sendBatch(batch));
    return previous;
  };
  const flushAll = () => Promise.all(lanes.map(flush));
  /**
   * Paced runs flush whenever nothing more is due. If what is waiting fits one
   * batch, it goes as one request (many devices in one POST) behind a barrier:
   * it starts after every lane's earlier batches and every lane waits for it,
   * so per-device order still holds.
   */
  const flushDue = async (): Promise<void> => {
    const waiting = lanes.reduce((n, lane) => n + lane.batch.length, 0);
    if (waiting === 0 || waiting > batchSize) {
      await flushAll();
      return;
    }
    const batch = lanes.flatMap((lane) => lane.batch).sort((a, b) => a.at - b.at);
    const previous = Promise.all(lanes.map((lane) => lane.tail));
    const merged = previous.then(() => sendBatch(batch));
    for (const lane of lanes) {
      lane.batch = [];
      lane.tail = merged;
    }
    await previous;
  };

  try {
    // What we slept until counts as reached: timers may wake a hair early, and a
    // tick's readings must not be split over two requests because of it.
    let reached = Number.NEGATIVE_INFINITY;
    for (const reading of readings) {
      if (stop.signal.aborted) break;
      const due = pacing(reading.at);
      if (due > Math.max(now(), reached)) {
        // Nothing more is due: send what we have rather than hold it for a full batch.
        await flushDue();
        const wait = due - now();
        if (wait > 0) await sleep(wait, stop.signal);
        reached = due;
      }
      const lane = laneOf(reading.deviceId);
      lane.batch.push(reading);
      stats.queued++;
      if (lane.batch.length >= batchSize) await flush(lane);
    }
  } catch (error) {
    if (!isAbortError(error)) throw error;
  } finally {
    if (stop.signal.aborted) {
      for (const lane of lanes) {
        stats.abandoned += lane.batch.length;
        lane.batch = [];
      }
    }
    await flushDue();
    await Promise.all(lanes.map((lane) => lane.tail));
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (failure) return { outcome: 'failed', error: failure, stats };
  return { outcome: options.signal?.aborted ? 'stopped' : 'done', stats };
}
