/**
 * Prometheus metrics of one process (prom-client, a registry per app so
 * tests and several apps in one process do not collide): request counts and
 * latencies by route, plus the process's default metrics.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AppEnv } from '../context.ts';

export interface Metrics {
  registry: Registry;
  middleware: MiddlewareHandler<AppEnv>;
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
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
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

/** The runtime node's consumer watchdog, for processes that host a node (see runtime/node.ts). */
export function registerRuntimeMetrics(
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
