/**
 * The device actors' persistence in Postgres (actors/store.ts). A job's
 * effects are written in one transaction that first checks the shard's
 * fencing epoch: a node that lost its lease finds a newer epoch and rolls
 * back (invariant 4). Readings are inserted with their (device, ts) key, and a
 * conflict there — which the actor's own dedupe should make impossible —
 * aborts the transaction rather than count anything twice (invariant 2).
 * Configuration changes and zone re-bucketing (invariant 7) and the alert
 * outbox (invariant 3) are written in the same fenced transaction.
 */
import {
  type CommitItem,
  type ConfigChange,
  type CountingConfig,
  type DeviceConfig,
  type DeviceLive,
  type DeviceSnapshot,
  type DeviceStore,
  DuplicateReadingError,
  FencedError,
  type NewAlert,
  type PendingAlert,
  type ShardBatch,
  type SilentAlert,
  type SilentDevice,
  type StoredReading,
  UnknownDeviceError,
} from '../actors/store.ts';
import { dayStart, hourEndOf, hourStartOf, localDateOf, nextDayStart } from '../core/time.ts';
import type { Sql } from './connect.ts';

type Tuple = [number, number, number | string];

/** A device's configuration in force (applied_config over the row) and its open state, as one row. */
interface SnapshotRow extends DeviceConfig {
  recent: Tuple[] | null;
  hourStart: number | null;
  hourKwh: number | null;
  hourReadings: number | null;
  hourAlerts: string[] | null;
}

export class PostgresDeviceStore implements DeviceStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async loadMany(deviceIds: string[]): Promise<Map<string, DeviceSnapshot>> {
    const out = new Map<string, DeviceSnapshot>();
    if (deviceIds.length === 0) return out;
    const rows = await this.#sql<SnapshotRow[]>`
      select d.id, d.name, d.owner_id as "ownerId",
        coalesce((d.applied_config->>'maxHourlyKwh')::float8, d.max_hourly_kwh) as "maxHourlyKwh",
        coalesce(d.applied_config->>'meterKind', d.meter_kind) as "meterKind",
        coalesce(d.applied_config->>'timeZone', d.time_zone) as "timeZone",
        case when d.applied_config ? 'tariff' then d.applied_config->'tariff' else d.tariff end as tariff,
        w.recent, (extract(epoch from h.hour_start) * 1000)::float8 as "hourStart",
        h.kwh as "hourKwh", h.readings as "hourReadings", a.kinds as "hourAlerts"
      from devices d
      left join lateral (select max(ts) as ts from readings where device_id = d.id) l on true
      left join lateral (
        select json_agg(json_build_array((extract(epoch from r.ts) * 1000)::float8, r.value, r.kwh) order by r.ts) as recent
        from readings r where r.device_id = d.id and r.ts > l.ts - interval '60 minutes'
      ) w on true
      left join lateral (
        select hour_start, kwh, readings from hourly where device_id = d.id order by hour_start desc limit 1
      ) h on true
      left join lateral (
        select array_agg(kind) as kinds from alerts where device_id = d.id and hour_start = h.hour_start and kind <> 'silent'
      ) a on true
      where d.id = any(${deviceIds}::uuid[])`;
    for (const r of rows) {
      out.set(r.id, {
        config: {
          id: r.id,
          name: r.name,
          ownerId: r.ownerId,
          maxHourlyKwh: r.maxHourlyKwh,
          meterKind: r.meterKind,
          timeZone: r.timeZone,
          ...(r.tariff ? { tariff: r.tariff } : {}),
        },
        recent: (r.recent ?? []).map(([ts, value, kwh]) => ({ ts, value, kwh: Number(kwh) })),
        openHour:
          r.hourStart === null
            ? null
            : { start: r.hourStart, kwh: Number(r.hourKwh), readings: r.hourReadings ?? 0 },
        openHourAlerts: (r.hourAlerts ?? []) as Array<'exceeded' | 'projected'>,
      });
    }
    return out;
  }

  async around(deviceId: string, from: number, to: number): Promise<StoredReading[]> {
    const f = new Date(from);
    const t = new Date(to);
    const rows = await this.#sql<{ ts: Date; value: number; kwh: number }[]>`
      (select ts, value, kwh from readings where device_id = ${deviceId} and ts < ${f} order by ts desc limit 1)
      union all
      (select ts, value, kwh from readings where device_id = ${deviceId} and ts >= ${f} and ts <= ${t})
      union all
      (select ts, value, kwh from readings where device_id = ${deviceId} and ts > ${t} order by ts limit 1)`;
    return rows
      .map((r) => ({ ts: r.ts.getTime(), value: r.value, kwh: Number(r.kwh) }))
      .sort((a, b) => a.ts - b.ts);
  }

  async hourTotals(deviceId: string, hourStarts: number[]): Promise<Map<number, number>> {
    const rows = await this.#sql<{ t: number; kwh: number }[]>`
      select (extract(epoch from hour_start) * 1000)::float8 as t, kwh from hourly
      where device_id = ${deviceId} and hour_start = any(${hourStarts.map((h) => new Date(h).toISOString())}::timestamptz[])`;
    return new Map(rows.map((r) => [r.t, Number(r.kwh)]));
  }

  async fence(shard: number, epoch: number): Promise<number> {
    // Never equal, never lower: an equal epoch would let two holders commit at once.
    const rows = await this.#sql<{ epoch: string }[]>`
      insert into shard_fences (shard, epoch) values (${shard}, ${epoch})
      on conflict (shard) do update
        set epoch = greatest(excluded.epoch, shard_fences.epoch + 1), updated_at = now()
      returning epoch`;
    return Number(rows[0]!.epoch);
  }

  async markPublished(alertIds: string[]): Promise<void> {
    if (alertIds.length === 0) return;
    await this.#sql`update alert_outbox set published_at = now()
      where alert_id = any(${alertIds}::uuid[]) and published_at is null`;
  }

  async claimUnpublished(olderThanMs: number, claimMs: number, limit: number): Promise<PendingAlert[]> {
    const rows = await this.#sql<
      Array<Omit<PendingAlert, 'kwh'> & { kwh: string }>
    >`update alert_outbox o set claimed_until = now() + ${claimMs} * interval '1 millisecond'
      from alerts a join devices d on d.id = a.device_id
      where o.alert_id = a.id and o.alert_id in (
        select alert_id from alert_outbox
        where published_at is null and created_at < now() - ${olderThanMs} * interval '1 millisecond'
          and (claimed_until is null or claimed_until < now())
        order by created_at limit ${limit} for update skip locked)
      returning a.id, a.device_id as "deviceId", a.kind,
        (extract(epoch from a.hour_start) * 1000)::float8 as "hourStart", a.kwh::text as kwh,
        a.max_hourly_kwh as "maxHourlyKwh", a.late, (extract(epoch from a.created_at) * 1000)::float8 as "createdAt",
        d.name as "deviceName", d.owner_id as "ownerId", coalesce(d.applied_config->>'timeZone', d.time_zone) as "timeZone"`;
    return rows.map((r) => ({ ...r, kwh: Number(r.kwh) }));
  }

  async dueSilent(now: number, limit: number): Promise<SilentDevice[]> {
    const rows = await this.#sql<SilentDevice[]>`
      select d.id as "deviceId", (extract(epoch from d.silent_since) * 1000)::float8 as since,
        (extract(epoch from d.silent_due_at) * 1000)::float8 as "dueAt",
        ${this.#sql.unsafe(SILENT_AFTER_SQL)} as "silentAfterMinutes",
        coalesce((d.applied_config->>'maxHourlyKwh')::float8, d.max_hourly_kwh) as "maxHourlyKwh",
        coalesce(d.applied_config->>'timeZone', d.time_zone) as "timeZone"
      from devices d
      where d.silent_due_at <= to_timestamp(${now} / 1000.0) and d.silent_since is not null
      order by d.silent_due_at limit ${limit}`;
    return rows.filter((r) => r.silentAfterMinutes !== null);
  }

  async raiseSilent(shard: number, epoch: number, alerts: SilentAlert[]): Promise<NewAlert[]> {
    if (alerts.length === 0) return [];
    const stored = await this.#sql.begin(async (tx) => {
      const fenced = await tx`update shard_fences set updated_at = now()
        where shard = ${shard} and epoch = ${epoch} returning shard`;
      if (fenced.length === 0) throw new FencedError(shard, epoch);
      // Only devices still silent since the silence the sweep saw (a reading committed
      // meanwhile started a new one); they stop being due whether or not the alert is new.
      const still = await tx<{ id: string }[]>`update devices d set silent_due_at = null
        from unnest(${alerts.map((a) => a.deviceId)}::uuid[], ${alerts.map((a) => a.since)}::float8[]) as x(d, s)
        where d.id = x.d and d.silent_since = to_timestamp(x.s / 1000.0) returning d.id`;
      const ids = new Set(still.map((r) => r.id));
      const al = alerts.filter((a) => ids.has(a.deviceId));
      if (al.length === 0) return [];
      return tx<{ id: string; createdAt: number }[]>`with ins as (
        insert into alerts (id, device_id, kind, hour_start, kwh, max_hourly_kwh, late, silent_since)
        select x.id, x.d, 'silent', to_timestamp(x.h / 1000.0), 0, x.m, false, to_timestamp(x.s / 1000.0) from unnest(
          ${al.map((a) => a.id)}::uuid[], ${al.map((a) => a.deviceId)}::uuid[], ${al.map((a) => a.hourStart)}::float8[],
          ${al.map((a) => a.maxHourlyKwh)}::float8[], ${al.map((a) => a.since)}::float8[]
        ) as x(id, d, h, m, s)
        on conflict (device_id, silent_since) where kind = 'silent' do nothing
        returning id, created_at),
        outbox as (insert into alert_outbox (alert_id, created_at) select id, created_at from ins)
        select id, (extract(epoch from created_at) * 1000)::float8 as "createdAt" from ins`;
    });
    const created = new Map(
      (stored as Array<{ id: string; createdAt: number }>).map((r) => [r.id, r.createdAt]),
    );
    return alerts
      .filter((a) => created.has(a.id))
      .map(({ since: _, ...a }) => ({ ...a, createdAt: created.get(a.id)! }));
  }

  async commit(shard: number, epoch: number, batch: ShardBatch): Promise<NewAlert[]> {
    return (await this.commitMany([{ shard, epoch, batch }]))[0]!;
  }

  /**
   * Writes the jobs of several shards in one transaction (see actors/group-commit.ts).
   * Shards of concurrent calls never overlap (a shard has one job in flight), so the
   * row locks taken here cannot deadlock with each other.
   */
  async commitMany(items: CommitItem[]): Promise<NewAlert[][]> {
    const ins = items.flatMap((i) => i.batch.inserts);
    const up = items.flatMap((i) => i.batch.updates);
    const hours = items.flatMap((i) => [...i.batch.hours.values()]);
    const al = items.flatMap((i) => i.batch.alerts);
    const configs = items.flatMap((i) => i.batch.configs);
    const live = items.flatMap((i) => [...(i.batch.live?.values() ?? [])]);
    const price = (p: number | undefined) => (p === undefined ? null : String(p));
    const created = await this.#sql.begin(async (tx) => {
      // Configuration first, in shard order before this job's readings (a job carries
      // either; see ShardProcessor). The fence check below still guards all of it.
      for (const change of configs) await applyConfig(tx as unknown as Sql, change);
      // All statements are sent at once (postgres.js pipelines them on the transaction's
      // connection, in order): one round trip plus COMMIT. The fence check comes first and
      // holds the shards' row locks; if it finds a newer epoch, everything rolls back.
      const none = Promise.resolve([] as unknown[]);
      const touched = [...new Set(ins.map((r) => r.deviceId))];
      // Each statement's outcome, error or rows: a failed statement fails the ones after it
      // ("transaction is aborted"), and the first cause decides what the caller is told.
      const settle = (q: Promise<unknown>) =>
        q.then(
          (rows) => rows as unknown[],
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        );
      const results = await Promise.all(
        [
          tx`update shard_fences f set jobs = f.jobs + 1, updated_at = now()
          from unnest(${items.map((i) => i.shard)}::int[], ${items.map((i) => i.epoch)}::bigint[]) as x(s, e)
          where f.shard = x.s and f.epoch = x.e returning f.shard, f.epoch`,
          // What the foreign key did per reading, once per device (migration 075): the devices
          // stay locked until COMMIT, so a delete waits for it and then removes the readings.
          touched.length === 0
            ? none
            : tx<{ id: string }[]>`select id from devices where id = any(${touched}::uuid[]) for key share`,
          // A plain insert: a reading already stored (or twice in the batch) violates the
          // (device_id, ts) key and aborts the transaction, so nothing counts twice.
          ins.length === 0
            ? none
            : tx`insert into readings (device_id, ts, value, kwh, cost)
          select d, to_timestamp(t / 1000.0), v, k, k * p from unnest(
            ${ins.map((r) => r.deviceId)}::uuid[], ${ins.map((r) => r.ts)}::float8[],
            ${ins.map((r) => r.value)}::float8[], ${ins.map((r) => String(r.kwh))}::numeric[],
            ${ins.map((r) => price(r.price))}::numeric[]
          ) as x(d, t, v, k, p)`,
          up.length === 0
            ? none
            : tx`update readings r set kwh = x.k, cost = x.k * x.p from unnest(
            ${up.map((r) => r.deviceId)}::uuid[], ${up.map((r) => r.ts)}::float8[], ${up.map((r) => String(r.kwh))}::numeric[],
            ${up.map((r) => price(r.price))}::numeric[]
          ) as x(d, t, k, p) where r.device_id = x.d and r.ts = to_timestamp(x.t / 1000.0)`,
          hours.length === 0
            ? none
            : tx`insert into hourly (device_id, hour_start, kwh, readings, cost)
          select d, to_timestamp(h / 1000.0), k, n, k * p from unnest(
            ${hours.map((h) => h.deviceId)}::uuid[], ${hours.map((h) => h.hourStart)}::float8[],
            ${hours.map((h) => String(h.kwh))}::numeric[], ${hours.map((h) => h.readings)}::int[],
            ${hours.map((h) => price(h.price))}::numeric[]
          ) as x(d, h, k, n, p)
          on conflict (device_id, hour_start) do update
            set kwh = hourly.kwh + excluded.kwh, readings = hourly.readings + excluded.readings,
              cost = case when excluded.cost is null then hourly.cost else coalesce(hourly.cost, 0) + excluded.cost end`,
          al.length === 0
            ? none
            : tx<{ id: string }[]>`with ins as (
        insert into alerts (id, device_id, kind, hour_start, kwh, max_hourly_kwh, late)
        select * from unnest(
          ${al.map((a) => a.id)}::uuid[], ${al.map((a) => a.deviceId)}::uuid[], ${al.map((a) => a.kind)}::text[],
          ${al.map((a) => new Date(a.hourStart).toISOString())}::timestamptz[], ${al.map((a) => String(a.kwh))}::numeric[],
          ${al.map((a) => a.maxHourlyKwh)}::float8[], ${al.map((a) => (a.late ? 't' : 'f'))}::text[]::bool[]
        ) on conflict (device_id, hour_start, kind) where kind <> 'silent' do nothing
        returning id, created_at),
        outbox as (insert into alert_outbox (alert_id, created_at) select id, created_at from ins)
        select id, (extract(epoch from created_at) * 1000)::float8 as "createdAt" from ins`,
          // After the hourly rows (statements run in order): the fleet summary's row per device.
          live.length === 0 ? none : upsertLive(tx as unknown as Sql, live, hours),
          touched.length === 0 ? none : readingsEndSilence(tx as unknown as Sql, touched),
        ].map(settle),
      );
      // Every item's own (shard, epoch) must hold the fence: two items of one shard with
      // different epochs cannot both pass on the strength of one matching row.
      const [fenced, present, inserted, , , alerts] = results;
      if (fenced instanceof Error) throw fenced;
      const ok = new Set(
        (fenced as Array<{ shard: number; epoch: number }>).map((r) => `${r.shard}|${r.epoch}`),
      );
      const lost = items.find((i) => !ok.has(`${i.shard}|${i.epoch}`));
      if (lost) throw new FencedError(lost.shard, lost.epoch);
      if (present instanceof Error) throw present;
      if (present!.length !== touched.length) {
        const found = new Set((present as Array<{ id: string }>).map((r) => r.id));
        throw new UnknownDeviceError(touched.find((id) => !found.has(id))!);
      }
      if (isUniqueViolation(inserted)) throw new DuplicateReadingError();
      const failed = results.find((r) => r instanceof Error);
      if (failed) throw failed;
      return new Map((alerts as Array<{ id: string; createdAt: number }>).map((r) => [r.id, r.createdAt]));
    });
    const stored = created as Map<string, number>;
    return items.map((i) =>
      i.batch.alerts.filter((a) => stored.has(a.id)).map((a) => ({ ...a, createdAt: stored.get(a.id)! })),
    );
  }
}

/** A unique violation: for the readings insert, a (device, ts) already stored or twice in the batch. */
const isUniqueViolation = (result: unknown) =>
  result instanceof Error && (result as Error & { code?: string }).code === '23505';

/** The silence limit in force: the applied configuration's when it has one, else the row's. */
const SILENT_AFTER_SQL = `(case when d.applied_config ? 'silentAfterMinutes'
  then (d.applied_config->>'silentAfterMinutes')::int else d.silent_after_minutes end)`;

/**
 * Each device that got a reading starts a new silence at this commit, and its
 * open `silent` alerts are acknowledged: the reading that ends a silence
 * acknowledges it in its own transaction (API.md, Alerts).
 */
async function readingsEndSilence(tx: Sql, deviceIds: string[]): Promise<unknown[]> {
  return Promise.all([
    // Whole milliseconds: the sweep hands `since` back as epoch ms to find the same silence.
    // Only watched devices: the rest of the fleet pays no row update on the reading path.
    tx`update devices d set silent_since = date_trunc('milliseconds', now()),
        silent_due_at = date_trunc('milliseconds', now()) + ${tx.unsafe(SILENT_AFTER_SQL)} * interval '1 minute'
      where d.id = any(${deviceIds}::uuid[]) and ${tx.unsafe(SILENT_AFTER_SQL)} is not null`,
    tx`update alerts set acknowledged_at = now()
      where device_id = any(${deviceIds}::uuid[]) and kind = 'silent' and acknowledged_at is null`,
  ]);
}

/**
 * Makes `change` the device's configuration in force unless a newer version
 * already is. A zone change re-buckets the device's hourly rows from the stored
 * per-reading energy, with the actor's own hour arithmetic (time.ts: DST and
 * :30/:45 offsets exact), so every view in the new zone equals the raw view.
 */
async function applyConfig(tx: Sql, change: ConfigChange): Promise<void> {
  const [row] = await tx<
    {
      applied: CountingConfig | null;
      zone: string;
      kind: CountingConfig['meterKind'];
      silentAfter: number | null;
    }[]
  >`
    select applied_config as applied, time_zone as zone, meter_kind as kind,
      ${tx.unsafe(SILENT_AFTER_SQL)} as "silentAfter" from devices d
    where id = ${change.deviceId} for update`;
  if (!row) return; // deleted meanwhile
  const current = row.applied;
  if (current && current.version >= change.config.version) return;
  let config = change.config;
  const kind = current?.meterKind ?? row.kind;
  if (config.meterKind !== kind) {
    // The api refuses a kind change once readings are stored (409), but readings it had
    // answered 202 may have been committed since: they keep the kind they were sent
    // under, and the row goes back to it (history is never reinterpreted).
    const [used] = await tx<{ any: boolean }[]>`
      select exists (select 1 from readings where device_id = ${change.deviceId}) as any`;
    if (used?.any) {
      config = { ...config, meterKind: kind };
      await tx`update devices set meter_kind = ${kind} where id = ${change.deviceId}`;
    }
  }
  await tx`update devices set applied_config = ${tx.json(config as never)} where id = ${change.deviceId}`;
  await tx`update device_live set max_hourly_kwh = ${config.maxHourlyKwh} where device_id = ${change.deviceId}`;
  // The silence in progress is measured against the limit now in force; a limit put in force
  // where there was none starts one now. A silence already alerted stays alerted (one alert
  // per silence).
  // Silences are only tracked while a limit is in force: a device gets watched from now.
  if (row.silentAfter === null)
    await tx`update devices d set silent_since = date_trunc('milliseconds', now())
      where d.id = ${change.deviceId} and ${tx.unsafe(SILENT_AFTER_SQL)} is not null`;
  await tx`update devices d set silent_due_at = case
      when exists (select 1 from alerts a where a.device_id = d.id and a.kind = 'silent'
        and a.silent_since = d.silent_since) then null
      else d.silent_since + ${tx.unsafe(SILENT_AFTER_SQL)} * interval '1 minute' end
    where d.id = ${change.deviceId}`;
  const fromZone = current?.timeZone ?? row.zone;
  if (fromZone !== config.timeZone) {
    await rebucket(tx, change.deviceId, fromZone, config.timeZone);
    await reliveAfterRebucket(tx, change.deviceId, config.timeZone, config.maxHourlyKwh);
  }
}

/** An hour's energy delta of this commit (the `hourly` statement's rows). */
type HourDelta = { deviceId: string; hourStart: number; kwh: number };

/**
 * Writes each device's `device_live` row, exact whatever mix of fresh and late
 * readings the job held. A row that still describes the same open hour and day
 * gets this commit's deltas of that hour and of that day's hours added (numeric,
 * exact; every change to a device's `hourly` rows comes with its live row). Any
 * other row (new device, a new hour or day, or `hours` null: recompute) is read
 * back from `hourly`, already updated in this transaction. The first is two
 * additions per device; the second two index reads per device, which only a
 * change of hour pays.
 */
function upsertLive(tx: Sql, live: DeviceLive[], hours: HourDelta[] | null) {
  const deltas = hours ?? [];
  return tx`with h as (
      select * from unnest(${deltas.map((h) => h.deviceId)}::uuid[], ${deltas.map((h) => h.hourStart)}::float8[],
        ${deltas.map((h) => String(h.kwh))}::numeric[]) as h(d, h, k)
    ), x as (
      select x.d, x.m, to_timestamp(x.l / 1000.0) as l, to_timestamp(x.hs / 1000.0) as hs, to_timestamp(x.he / 1000.0) as he,
        to_timestamp(x.ds / 1000.0) as ds, to_timestamp(x.de / 1000.0) as de,
        coalesce(sum(h.k) filter (where h.h = x.hs), 0) as hk,
        coalesce(sum(h.k) filter (where h.h >= x.ds and h.h < x.de), 0) as dk
      from unnest(
        ${live.map((l) => l.deviceId)}::uuid[], ${live.map((l) => l.maxHourlyKwh)}::float8[], ${live.map((l) => l.lastTs)}::float8[],
        ${live.map((l) => l.hourStart)}::float8[], ${live.map((l) => l.hourEnd)}::float8[],
        ${live.map((l) => l.dayStart)}::float8[], ${live.map((l) => l.dayEnd)}::float8[]
      ) as x(d, m, l, hs, he, ds, de) left join h on h.d = x.d
      group by x.d, x.m, x.l, x.hs, x.he, x.ds, x.de
    ), kept as (
      update device_live v set max_hourly_kwh = x.m, last_ts = x.l, hour_kwh = v.hour_kwh + x.hk, day_kwh = v.day_kwh + x.dk
      from x where ${hours !== null} and v.device_id = any(${live.map((l) => l.deviceId)}::uuid[]) -- by its key, not a scan
        and v.device_id = x.d and v.hour_start = x.hs and v.hour_end = x.he
        and v.day_start = x.ds and v.day_end = x.de
      returning v.device_id
    )
    insert into device_live (device_id, max_hourly_kwh, last_ts, hour_start, hour_end, hour_kwh, day_start, day_end, day_kwh)
    select x.d, x.m, x.l, x.hs, x.he, coalesce((select kwh from hourly where device_id = x.d and hour_start = x.hs), 0),
      x.ds, x.de, coalesce((select sum(kwh) from hourly where device_id = x.d and hour_start >= x.ds and hour_start < x.de), 0)
    from x where x.d not in (select device_id from kept)
    on conflict (device_id) do update set max_hourly_kwh = excluded.max_hourly_kwh, last_ts = excluded.last_ts, hour_start = excluded.hour_start,
      hour_end = excluded.hour_end, hour_kwh = excluded.hour_kwh, day_start = excluded.day_start,
      day_end = excluded.day_end, day_kwh = excluded.day_kwh`;
}

/** A zone change moves the open hour and "today": the live row is cut again in the new zone. */
async function reliveAfterRebucket(tx: Sql, deviceId: string, zone: string, limit: number): Promise<void> {
  const [latest] = await tx<{ h: number; l: number }[]>`
    select (extract(epoch from max(hour_start)) * 1000)::float8 as h,
      (select (extract(epoch from max(ts)) * 1000)::float8 from readings where device_id = ${deviceId}) as l
    from hourly where device_id = ${deviceId}`;
  if (!latest || latest.h === null || latest.l === null) return;
  const date = localDateOf(latest.h, zone);
  await upsertLive(
    tx,
    [
      {
        deviceId,
        maxHourlyKwh: limit,
        lastTs: latest.l,
        hourStart: latest.h,
        hourEnd: hourEndOf(latest.h, zone),
        dayStart: dayStart(date, zone),
        dayEnd: nextDayStart(date, zone),
      },
    ],
    null,
  );
}

/**
 * Rebuilds the device's hourly rows in `zone` from its raw readings. Raw readings
 * before the retention horizon (raw_horizon, migration 070) may be gone, so the
 * rows before it are the only record of that energy: the rows of `fromZone`
 * hours that end by the first `fromZone` hour boundary at or after the horizon
 * stay as they are, and only the readings from that boundary on are re-bucketed.
 * Between zones whose hours are not aligned (:30/:45 offsets) the new zone's
 * hour that straddles the boundary then holds only the energy after it (the part
 * before stays in the kept row); totals stay exact (docs/OPERATIONS.md).
 */
async function rebucket(tx: Sql, deviceId: string, fromZone: string, zone: string): Promise<void> {
  const [h] = await tx<
    { h: number }[]
  >`select (extract(epoch from horizon) * 1000)::float8 as h from raw_horizon`;
  const from = h === undefined ? null : hourStartOf(h.h, fromZone) === h.h ? h.h : hourEndOf(h.h, fromZone);
  // No horizon: everything (readings before 2000 are refused at the door, api/readings/schema.ts).
  const since = new Date(from ?? 0);
  const readings = await tx<{ t: number }[]>`
    select (extract(epoch from ts) * 1000)::float8 as t from readings
    where device_id = ${deviceId} and ts >= ${since} order by ts`;
  const hours = readings.map((r) => hourStartOf(r.t, zone));
  await tx`delete from hourly where device_id = ${deviceId} and hour_start >= ${since}`;
  if (hours.length === 0) return;
  // Sums in numeric, exact; the i-th hour start belongs to the i-th reading in ts order.
  // A reading keeps the cost it was priced at (history is never re-priced); sum() of
  // no priced reading is null, as for an hour counted without a tariff. A row kept before
  // the horizon that the new zone's first hour falls on gets the energy added.
  await tx`insert into hourly (device_id, hour_start, kwh, readings, cost)
    select ${deviceId}, to_timestamp(x.h / 1000.0), sum(r.kwh), count(*)::int, sum(r.cost)
    from (select kwh, cost, row_number() over (order by ts) as i from readings
      where device_id = ${deviceId} and ts >= ${since}) r
    join unnest(${hours}::float8[]) with ordinality as x(h, i) on x.i = r.i
    group by x.h
    on conflict (device_id, hour_start) do update
      set kwh = hourly.kwh + excluded.kwh, readings = hourly.readings + excluded.readings,
        cost = case when excluded.cost is null then hourly.cost else coalesce(hourly.cost, 0) + excluded.cost end`;
}
