/**
 * Prometheus metrics of one process (prom-client, a registry per app so
 * tests and several apps in one process do not collide): request counts and
 * latencies by route, the runtime's reading and alert counters where the
 * process runs a runtime node, plus the process's default metrics.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  middleware: MiddlewareHandler;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ems_' });
  const requests = new Counter({
    name: 'ems_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'ems_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = routePath(c) || 'unmatched';
      requests.inc({ method: c.req.method, route, status: String(c.res.status) });
      latency.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
    }
  };
  return { registry, middleware };
}

/** What the runtime counts since start (ShardProcessor.totals has these fields). */
export interface RuntimeTotals {
  applied: number;
  duplicates: number;
  dropped: number;
  alerts: number;
  swept: number;
  failures: number;
  poisoned: number;
}

const RUNTIME_COUNTERS: Array<[name: string, help: string, field: keyof RuntimeTotals]> = [
  ['ems_readings_applied_total', 'Readings stored by this runtime node', 'applied'],
  ['ems_readings_duplicate_total', 'Readings ignored as duplicates (timestamp already stored)', 'duplicates'],
  ['ems_readings_dropped_total', 'Queued readings dropped because their device was deleted', 'dropped'],
  ['ems_alerts_stored_total', 'Alerts committed by this runtime node', 'alerts'],
  ['ems_alerts_swept_total', 'Alerts pushed again by the sweeper (their node died before pushing)', 'swept'],
  ['ems_shard_job_failures_total', 'Shard jobs that failed and were left for a retry', 'failures'],
  [
    'ems_shard_jobs_poisoned_total',
    'Shard jobs set aside as poison (malformed, or data the database refuses): listed by `ems jobs poisoned`',
    'poisoned',
  ],
];

/**
 * The runtime's counters on `registry`, read from `totals` only when scraped
 * (a collect() callback), so the reading path pays nothing for them.
 */
export function registerRuntimeMetrics(registry: Registry, totals: () => RuntimeTotals): void {
  for (const [name, help, field] of RUNTIME_COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        // The processor's totals only grow; a counter cannot be set, so restate it at each scrape.
        this.reset();
        this.inc(totals()[field]);
      },
    });
  }
}

/** The runtime node's consumer watchdog, for processes that host a node (see runtime/node.ts). */
export function registerWatchdogMetrics(
  registry: Registry,
  health: () => { stalledShards: number[]; consumerRestarts: number },
): void {
  new Gauge({
    name: 'ems_runtime_consumer_restarts',
    help: 'Shard consumers the watchdog restarted because they stopped consuming while jobs waited',
    registers: [registry],
    collect() {
      this.set(health().consumerRestarts);
    },
  });
  new Gauge({
    name: 'ems_runtime_stalled_shards',
    help: 'Shards whose consumer the watchdog found stalled and that are not consuming again yet',
    registers: [registry],
    collect() {
      this.set(health().stalledShards.length);
    },
  });
}
