/**
 * `ems jobs poisoned | requeue`: the shard jobs a runtime node set aside as
 * poison (a payload that is not a reading batch, or data the database refuses
 * — see actors/poison.ts), listed per shard, and put back once the cause is
 * fixed (a deploy, a data repair). Distributed mode only: there they wait in
 * Redis; `ems start` keeps its queues in the process.
 */
import { SHARD_QUEUE_NAME } from '../actors/messages.ts';
import { createRedisDrivers } from '../runtime/redis/index.ts';
import type { PoisonedJob } from '../runtime/types.ts';
import type { Config } from './config.ts';

/** Summary of one poisoned job's payload for the listing (how many readings and controls). */
function carried(payload: unknown): string {
  const p = (payload ?? {}) as { readings?: unknown; controls?: unknown };
  const n = (x: unknown) => (Array.isArray(x) ? x.length : 0);
  return `${n(p.readings)} readings, ${n(p.controls)} controls`;
}

export async function runJobs(
  action: 'poisoned' | 'requeue',
  config: Pick<Config, 'REDIS_URL' | 'EMS_REDIS_PREFIX' | 'EMS_SHARDS'>,
  print: (line: string) => void = console.log,
): Promise<number> {
  if (!config.REDIS_URL) {
    print('ems jobs: needs REDIS_URL (the single-process mode keeps its queues in the process)');
    return 2;
  }
  const drivers = createRedisDrivers({
    url: config.REDIS_URL,
    prefix: config.EMS_REDIS_PREFIX,
    queueName: SHARD_QUEUE_NAME,
  });
  try {
    const shards = Array.from({ length: config.EMS_SHARDS }, (_, s) => s);
    if (action === 'requeue') {
      const counts = await Promise.all(shards.map((s) => drivers.consumer.requeuePoisoned(s)));
      print(`Requeued ${counts.reduce((a, b) => a + b, 0)} poisoned jobs.`);
      return 0;
    }
    const jobs: PoisonedJob[] = (
      await Promise.all(shards.map((s) => drivers.consumer.poisoned(s, 1000)))
    ).flat();
    if (jobs.length === 0) {
      print('No poisoned jobs.');
      return 0;
    }
    print('shard\tjob\tat\tcarries\treason');
    for (const j of jobs)
      print(`${j.shard}\t${j.id}\t${new Date(j.at).toISOString()}\t${carried(j.payload)}\t${j.reason}`);
    print(`${jobs.length} poisoned jobs (ems jobs requeue puts them back).`);
    return 0;
  } finally {
    await drivers.close();
  }
}
