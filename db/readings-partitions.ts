/**
 * Keeps the monthly partitions of `readings` (migration 070) in shape: the
 * months ahead exist before readings reach them, months that landed in the
 * default partition (late readings older than every partition) get their own
 * partition, and with a retention period whole months older than the window
 * are dropped — `hourly`, `device_live` and alerts are never touched, so the
 * consumption views keep a device's whole history.
 *
 * Runtime nodes run it (cli/processes.ts): they are the ones writing readings,
 * every deployment has at least one, and `ems runtime` needs no api code for
 * it. Several nodes may run it at once: the SQL functions lock the parent
 * table and re-check, so each partition is created or dropped once. Each run
 * waits at most LOCK_TIMEOUT for that lock (it must wait for running commits),
 * so it never stalls ingest for long; a run that gave up tries again next time.
 */
import type { Sql } from './connect.ts';

const DAY_MS = 86_400_000;
/** How long one maintenance step may wait for the table lock before giving up until the next run. */
const LOCK_TIMEOUT = '5s';

export interface ReadingsMaintenanceOptions {
  sql: Sql;
  /** EMS_RAW_RETENTION_DAYS; undefined keeps every raw reading. */
  retentionDays?: number | undefined;
  /** Months created ahead of the current one (default 2). */
  monthsAhead?: number;
  /** Time between runs (default one hour); the first run starts at once. */
  intervalMs?: number;
  now?: () => number;
  /** Failures of a run (lock timeout, database away); the next run tries again. */
  onError?: (err: unknown) => void;
  /** What a run changed, when it changed anything. */
  onChange?: (result: MaintenanceResult) => void;
}

export interface MaintenanceResult {
  created: number;
  dropped: number;
}

/** The instant before which raw readings are out of the retention window (undefined: none is). */
export function retentionCutoff(retentionDays: number | undefined, now: number): number | undefined {
  return retentionDays === undefined ? undefined : now - retentionDays * DAY_MS;
}

/** Creates the monthly partitions of [from, to] (UTC months) that are missing; returns how many. */
export async function ensureReadingsPartitions(sql: Sql, from: number, to: number): Promise<number> {
  return locked(sql, async (tx) => {
    const [row] = await tx<{ n: number }[]>`
      select ems_ensure_readings_partitions(${new Date(from)}, ${new Date(to)}) as n`;
    return row!.n;
  });
}

/** Gives every month that has rows in the default partition its own partition (moving them). */
export async function adoptDefaultMonths(sql: Sql): Promise<number> {
  return locked(sql, async (tx) => {
    const [row] = await tx<{ n: number }[]>`
      select coalesce(sum(ems_ensure_readings_partition(m)), 0)::int as n from (
        select distinct date_trunc('month', ts at time zone 'UTC') at time zone 'UTC' as m from readings_default
      ) months`;
    return row!.n;
  });
}

/** Drops the months that end before the month of `before` starts (UTC); returns how many. */
export async function dropReadingsBefore(sql: Sql, before: number): Promise<number> {
  return locked(sql, async (tx) => {
    const [row] = await tx<{ n: number }[]>`select ems_drop_readings_before(${new Date(before)}) as n`;
    return row!.n;
  });
}

/** One maintenance pass: retention first (nothing is adopted only to be dropped), then the months. */
export async function maintainReadings(
  o: Pick<ReadingsMaintenanceOptions, 'sql' | 'retentionDays' | 'monthsAhead'>,
  now: number,
): Promise<MaintenanceResult> {
  const cutoff = retentionCutoff(o.retentionDays, now);
  const dropped = cutoff === undefined ? 0 : await dropReadingsBefore(o.sql, cutoff);
  const adopted = await adoptDefaultMonths(o.sql);
  const ahead = new Date(now);
  ahead.setUTCMonth(ahead.getUTCMonth() + (o.monthsAhead ?? 2), 1);
  const created = adopted + (await ensureReadingsPartitions(o.sql, now, ahead.getTime()));
  return { created, dropped };
}

/** Runs maintainReadings now and then every intervalMs until stop(). */
export class ReadingsMaintenance {
  readonly #o: ReadingsMaintenanceOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: ReadingsMaintenanceOptions) {
    this.#o = options;
  }

  start(): void {
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = (this.#o.now ?? Date.now)();
    this.#running = maintainReadings(this.#o, now)
      .then((r) => {
        if (r.created + r.dropped > 0) this.#o.onChange?.(r);
      })
      .catch((err) => this.#o.onError?.(err))
      .finally(() => {
        if (this.#stopped) return;
        this.#timer = setTimeout(() => this.#tick(), this.#o.intervalMs ?? 3_600_000);
        this.#timer.unref();
      });
  }
}

function locked<T>(sql: Sql, work: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx.unsafe(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
    return work(tx as unknown as Sql);
  }) as Promise<T>;
}
