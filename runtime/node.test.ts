import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RuntimeNode, type ShardLossReason } from './node.ts';
import { desiredShards } from './placement.ts';
import { FAST_TIMINGS, memoryBackend, redisBackend, type TestBackend } from './testing/backends.ts';
import type { LeaseStore, RuntimeDrivers, ShardHandler, ShardJob } from './types.ts';

const SHARDS = 64;
const ALL_SHARDS = Array.from({ length: SHARDS }, (_, i) => i);

const until = (assertion: () => void | Promise<void>, timeout = 20_000) =>
  vi.waitFor(assertion, { timeout, interval: 50 });

/** The application side of a node, recording what the runtime asked of it. */
class RecordingApp implements ShardHandler {
  readonly acquired: { shard: number; epoch: number }[] = [];
  readonly released: number[] = [];
  readonly processed: { shard: number; payload: unknown; epoch: number; attempt: number }[] = [];
  failAcquireOnce = new Set<number>();
  hangOn: unknown = Symbol('nothing');
  started: unknown[] = [];

  async onAcquired(shard: number, epoch: number) {
    if (this.failAcquireOnce.delete(shard)) throw new Error(`store fence failed for shard ${shard}`);
    this.acquired.push({ shard, epoch });
  }
  async onReleased(shard: number) {
    this.released.push(shard);
  }
  failOnce = new Set<unknown>();

  async process(job: ShardJob, epoch: number) {
    this.started.push(job.payload);
    if (this.failOnce.delete(job.payload)) throw new Error(`could not store ${job.payload}`);
    if (job.payload === this.hangOn) await new Promise(() => {});
    this.processed.push({ shard: job.shard, payload: job.payload, epoch, attempt: job.attempt });
  }
}

describe.each([
  ['memory', memoryBackend],
  ['redis', redisBackend],
] as const)('RuntimeNode with %s drivers', (_kind, makeBackend) => {
  let backend: TestBackend;
  let nodes: RuntimeNode[];

  beforeEach(() => {
    backend = makeBackend();
    nodes = [];
  });
  afterEach(async () => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
    await backend.teardown();
  });

  function startNode(nodeId: string, drivers: RuntimeDrivers = backend.connect(), timings = FAST_TIMINGS) {
    const app = new RecordingApp();
    const errors: Error[] = [];
    const node = new RuntimeNode({ nodeId, shards: SHARDS, drivers, handler: app, timings });
    node.on('error', (error) => errors.push(error));
    nodes.push(node);
    return { node, app, errors, drivers, started: node.start() };
  }

  async function splitBetween(a: RuntimeNode, b: RuntimeNode) {
    await until(() => {
      const owned = [...a.ownedShards(), ...b.ownedShards()].sort((x, y) => x - y);
      expect(owned).toEqual(ALL_SHARDS);
      expect(a.ownedShards()).toEqual(desiredShards(a.nodeId, [a.nodeId, b.nodeId], SHARDS));
    });
  }

  it('two nodes split the shards with no overlap, every shard covered, leases matching', async () => {
    const a = startNode('node-a');
    await a.started;
    expect(a.node.ownedShards()).toEqual(ALL_SHARDS);
    const epochsOfA = new Map(a.app.acquired.map(({ shard, epoch }) => [shard, epoch]));
    const b = startNode('node-b');
    await b.started;
    await splitBetween(a.node, b.node);
    expect(a.node.ownedShards().length).toBeGreaterThan(10);
    expect(b.node.ownedShards().length).toBeGreaterThan(10);
    const leases = backend.connect().leases;
    for (const shard of ALL_SHARDS) {
      const owner = a.node.ownedShards().includes(shard) ? 'node-a' : 'node-b';
      expect(await leases.holderOf(shard)).toBe(owner);
    }
    // Every shard that moved was closed on A before B took it, at a higher epoch.
    for (const shard of b.node.ownedShards()) {
      expect(a.app.released).toContain(shard);
      expect(b.node.epochOf(shard)).toBeGreaterThan(epochsOfA.get(shard)!);
    }
  });

  it('hands each job to the node that owns its shard, with that lease epoch', async () => {
    const a = startNode('node-a');
    const b = startNode('node-b');
    await Promise.all([a.started, b.started]);
    await splitBetween(a.node, b.node);
    const producer = backend.connect().producer;
    await Promise.all(ALL_SHARDS.map((shard) => producer.addBulk(shard, [`reading-${shard}`])));
    await until(() => expect(a.app.processed.length + b.app.processed.length).toBe(SHARDS));
    for (const [node, app] of [
      [a.node, a.app],
      [b.node, b.app],
    ] as const) {
      for (const job of app.processed) {
        expect(job.payload).toBe(`reading-${job.shard}`);
        expect(job.epoch).toBe(node.epochOf(job.shard));
      }
    }
  });

  it('a node that stops hands its shards to the other, releasing leases and leaving membership', async () => {
    const a = startNode('node-a');
    const b = startNode('node-b');
    await Promise.all([a.started, b.started]);
    await splitBetween(a.node, b.node);
    const heldByA = a.node.ownedShards();
    const losses: [number, ShardLossReason][] = [];
    a.node.on('lost', (shard, reason) => losses.push([shard, reason]));
    await a.node.stop();
    expect(a.node.ownedShards()).toEqual([]);
    expect(a.app.released).toEqual(expect.arrayContaining(heldByA));
    expect(
      losses.filter(([shard]) => heldByA.includes(shard)).every(([, reason]) => reason === 'stopping'),
    ).toBe(true);
    expect(await backend.connect().membership.liveNodes()).toEqual(['node-b']);
    await until(() => expect(b.node.ownedShards()).toEqual(ALL_SHARDS));
    const shard = heldByA[0]!;
    await backend.connect().producer.addBulk(shard, ['after-handover']);
    await until(() => expect(b.app.processed.map((job) => job.payload)).toContain('after-handover'));
    expect(a.errors).toEqual([]);
  });

  it('when a node dies, the other owns every shard within seconds and redelivers its job in flight', async () => {
    const a = startNode('node-a');
    const b = startNode('node-b');
    await Promise.all([a.started, b.started]);
    await splitBetween(a.node, b.node);
    const shard = a.node.ownedShards()[0]!;
    const epochBefore = a.node.epochOf(shard)!;
    a.app.hangOn = 'in-flight-at-crash';
    await backend.connect().producer.addBulk(shard, ['in-flight-at-crash', 'queued-behind']);
    await until(() => expect(a.app.started).toContain('in-flight-at-crash'));
    await a.node.kill();
    await until(() => expect(b.node.ownedShards()).toEqual(ALL_SHARDS));
    expect(b.node.epochOf(shard)).toBeGreaterThan(epochBefore);
    await until(() => {
      const onShard = b.app.processed.filter((job) => job.shard === shard);
      expect(onShard.map((job) => job.payload)).toEqual(['in-flight-at-crash', 'queued-behind']);
      expect(onShard[0]!.attempt).toBeGreaterThan(1);
    });
    expect(a.app.processed).toEqual([]);
  });

  it('a node that cannot renew stops its consumers before its leases expire', async () => {
    const drivers = backend.connect();
    let cutOff = false;
    const hang = () => new Promise<never>(() => {});
    const leases: LeaseStore = {
      acquire: (...args) => (cutOff ? hang() : drivers.leases.acquire(...args)),
      renew: (...args) => (cutOff ? hang() : drivers.leases.renew(...args)),
      release: (...args) => (cutOff ? hang() : drivers.leases.release(...args)),
      holderOf: (shard) => drivers.leases.holderOf(shard),
    };
    const timings = { ...FAST_TIMINGS, leaseMs: 4000, stopMarginMs: 2000 };
    const a = startNode('node-a', { ...drivers, leases }, timings);
    await a.started;
    expect(a.node.ownedShards()).toEqual(ALL_SHARDS);
    // Holder seen by the store at the moment each consumer had stopped.
    const holderWhenStopped: Promise<string | null>[] = [];
    const reasons = new Set<ShardLossReason>();
    a.node.on('lost', (shard, reason) => {
      reasons.add(reason);
      holderWhenStopped.push(drivers.leases.holderOf(shard));
    });
    cutOff = true;
    await until(() => expect(holderWhenStopped).toHaveLength(SHARDS));
    expect(a.node.ownedShards()).toEqual([]);
    expect([...reasons]).toEqual(['renew-deadline']);
    expect(await Promise.all(holderWhenStopped)).toEqual(ALL_SHARDS.map(() => 'node-a'));
    expect(a.app.released.sort((x, y) => x - y)).toEqual(ALL_SHARDS);
  });

  it('reports a job that fails as an error event and retries it until it succeeds', async () => {
    const a = startNode('node-a');
    await a.started;
    a.app.failOnce.add('flaky');
    await backend.connect().producer.addBulk(9, ['flaky', 'next']);
    await until(() => expect(a.app.processed.map((job) => job.payload)).toEqual(['flaky', 'next']));
    expect(a.app.processed[0]!.attempt).toBe(2);
    expect(a.errors.map((error) => error.message)).toEqual(['could not store flaky']);
  });

  it('refuses lease timings under which a renew could never land in time', () => {
    const drivers = backend.connect();
    const handler = new RecordingApp();
    const timings = { ...FAST_TIMINGS, leaseMs: 1000, stopMarginMs: 800 };
    expect(() => new RuntimeNode({ nodeId: 'x', shards: SHARDS, drivers, handler, timings })).toThrow(
      RangeError,
    );
  });

  it('gives a shard back when onAcquired fails and takes it again later', async () => {
    const app = new RecordingApp();
    app.failAcquireOnce.add(5);
    const errors: Error[] = [];
    const node = new RuntimeNode({
      nodeId: 'node-a',
      shards: SHARDS,
      drivers: backend.connect(),
      handler: app,
      timings: FAST_TIMINGS,
    });
    node.on('error', (error) => errors.push(error));
    nodes.push(node);
    await node.start();
    expect(node.ownedShards()).not.toContain(5);
    expect(errors.map((error) => error.message)).toContain('store fence failed for shard 5');
    await until(() => expect(node.ownedShards()).toEqual(ALL_SHARDS));
    expect(app.acquired.filter((grant) => grant.shard === 5)).toHaveLength(1);
  });
});
