/**
 * What `appendfsync always` costs the reading intake, against `everysec`:
 * the api's enqueue (one BullMQ job per shard per request, answered 202 only
 * after Redis acknowledged it) measured on a dedicated redis-server per
 * policy. Run: `npx tsx faults/aof-cost.ts` (JOBS, CONCURRENCY to scale).
 * The result table goes into docs/OPERATIONS.md by hand.
 */
import { createRedisDrivers } from '../runtime/redis/index.ts';
import { startDedicatedRedis } from './redis-server.ts';

const JOBS = Number(process.env.JOBS ?? 4000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
/** One shard's share of a 5000-reading request over 64 shards. */
const READINGS_PER_JOB = 78;

async function measure(appendfsync: 'always' | 'everysec') {
  const redis = await startDedicatedRedis({ appendfsync });
  const drivers = createRedisDrivers({ url: redis.url, prefix: 'aofcost' });
  const payload = {
    readings: Array.from({ length: READINGS_PER_JOB }, (_, i) => [
      '6f1c2a4e-0000-4000-8000-000000000000',
      1_780_000_000_000 + i * 1000,
      0.123,
    ]),
  };
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < JOBS) {
        const shard = next++ % 64;
        const t = performance.now();
        await drivers.producer.addBulk(shard, [payload]);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await drivers.close();
  await redis.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    appendfsync,
    jobsPerSecond: Math.round(JOBS / seconds),
    readingsPerSecond: Math.round((JOBS * READINGS_PER_JOB) / seconds),
    p50Ms: at(0.5).toFixed(2),
    p99Ms: at(0.99).toFixed(2),
  };
}

const rows = [];
for (const policy of ['everysec', 'always', 'everysec', 'always'] as const) rows.push(await measure(policy));
console.log('| appendfsync | jobs/s | readings/s | add p50 ms | add p99 ms |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows)
  console.log(`| ${r.appendfsync} | ${r.jobsPerSecond} | ${r.readingsPerSecond} | ${r.p50Ms} | ${r.p99Ms} |`);
