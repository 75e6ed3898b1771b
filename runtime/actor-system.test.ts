import { describe, expect, it, vi } from 'vitest';
import { type Actor, ActorSystem } from './actor-system.ts';

/** A counter whose state is "persisted" in a map, like an actor backed by a database. */
function counterSystem(opts: { idleMs?: number; slowMs?: number } = {}) {
  const store = new Map<string, number>();
  const activations: string[] = [];
  const passivations: string[] = [];
  const errors: unknown[] = [];
  type Msg = { add: number } | { fail: true } | 'get';
  class Counter implements Actor<Msg, number> {
    constructor(
      readonly id: string,
      public total: number,
    ) {}
    async receive(msg: Msg): Promise<number> {
      if (msg === 'get') return this.total;
      if ('fail' in msg) {
        this.total = -1000; // half-applied state that must not survive
        throw new Error('boom');
      }
      const before = this.total;
      if (opts.slowMs) await new Promise((r) => setTimeout(r, opts.slowMs));
      this.total = before + msg.add; // a read-modify-write that breaks without a mailbox
      store.set(this.id, this.total);
      return this.total;
    }
    onPassivate() {
      passivations.push(this.id);
    }
  }
  const system = new ActorSystem<Counter, Msg, number>({
    idleMs: opts.idleMs ?? 0,
    activate: async (id) => {
      activations.push(id);
      await new Promise((r) => setTimeout(r, 5));
      return new Counter(id, store.get(id) ?? 0);
    },
    onError: (error) => errors.push(error),
  });
  return { system, store, activations, passivations, errors };
}

describe('ActorSystem', () => {
  it('activates once for concurrent first messages and processes them in arrival order', async () => {
    const { system, activations } = counterSystem({ slowMs: 1 });
    const replies = await Promise.all(Array.from({ length: 20 }, () => system.ask('d1', { add: 1 })));
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(activations).toEqual(['d1']);
    expect(system.size).toBe(1);
  });

  it('runs different actors concurrently', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const system = new ActorSystem<Actor<string, string>, string, string>({
      idleMs: 0,
      activate: async (id) => ({
        receive: async (msg) => {
          if (id === 'blocked') await gate;
          return `${id}:${msg}`;
        },
      }),
    });
    const blocked = system.ask('blocked', 'x');
    // 'free' answers while 'blocked' still waits: actors do not share a mailbox.
    expect(await system.ask('free', 'y')).toBe('free:y');
    release();
    expect(await blocked).toBe('blocked:x');
  });

  it('tell delivers in order with ask, and reports failures to onError', async () => {
    const { system, errors } = counterSystem();
    system.tell('d1', { add: 2 });
    system.tell('d1', { fail: true });
    system.tell('d1', { add: 3 });
    expect(await system.ask('d1', 'get')).toBe(5);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('boom');
  });

  it('returns a failure to the asker, discards the instance and reactivates from persisted state', async () => {
    const { system, activations, passivations } = counterSystem();
    await system.ask('d1', { add: 7 });
    await expect(system.ask('d1', { fail: true })).rejects.toThrow('boom');
    // The half-applied -1000 is gone: the fresh instance starts from the stored 7.
    expect(await system.ask('d1', { add: 1 })).toBe(8);
    expect(activations).toEqual(['d1', 'd1']);
    expect(passivations).toEqual([]);
  });

  it('survives a failing activation and retries it on the next message', async () => {
    let attempts = 0;
    const system = new ActorSystem<Actor<string, string>, string, string>({
      idleMs: 0,
      activate: async () => {
        if (++attempts === 1) throw new Error('database down');
        return { receive: (msg) => msg.toUpperCase() };
      },
    });
    await expect(system.ask('d1', 'a')).rejects.toThrow('database down');
    expect(await system.ask('d1', 'b')).toBe('B');
  });

  it('passivates on request after earlier messages, calling onPassivate once', async () => {
    const { system, passivations, activations } = counterSystem({ slowMs: 2 });
    const pending = system.ask('d1', { add: 1 });
    const passivated = system.passivate('d1');
    const later = system.ask('d1', { add: 1 });
    await passivated;
    expect(await pending).toBe(1);
    expect(passivations).toEqual(['d1']);
    expect(await later).toBe(2);
    expect(activations).toEqual(['d1', 'd1']);
  });

  it('passivateAll drops only the actors that pass the filter', async () => {
    const { system, passivations } = counterSystem();
    await Promise.all(['a1', 'a2', 'b1'].map((id) => system.ask(id, { add: 1 })));
    await system.passivateAll((id) => id.startsWith('a'));
    expect(passivations.sort()).toEqual(['a1', 'a2']);
    expect(system.size).toBe(1);
    expect(system.isResident('b1')).toBe(true);
    await system.passivate('not-resident');
  });

  it('passivates idle actors by itself', async () => {
    const { system, passivations } = counterSystem({ idleMs: 40 });
    await system.ask('d1', { add: 1 });
    await vi.waitFor(() => expect(passivations).toEqual(['d1']), { timeout: 5000 });
    expect(system.size).toBe(0);
    await system.close();
  });

  it('keeps a busy actor resident through a long mailbox', async () => {
    const { system } = counterSystem();
    const replies = await Promise.all(Array.from({ length: 3000 }, () => system.ask('d1', { add: 1 })));
    expect(replies[2999]).toBe(3000);
    expect(new Set(replies).size).toBe(3000);
  });
});

describe('ActorSystem memory', () => {
  it('keeps 100k resident actors with small state under 1 KB each', async () => {
    const { setFlagsFromString } = await import('node:v8');
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    class Meter implements Actor<number, number> {
      total = 0;
      hour = 0;
      receive(kwh: number) {
        this.total += kwh;
        return this.total;
      }
    }
    const system = new ActorSystem<Meter, number, number>({ idleMs: 0, activate: async () => new Meter() });
    const ids = Array.from(
      { length: 100_000 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < ids.length; i += 10_000) {
      await Promise.all(ids.slice(i, i + 10_000).map((id) => system.ask(id, 1)));
    }
    gc();
    const perActor = (process.memoryUsage().heapUsed - before) / ids.length;
    expect(system.size).toBe(100_000);
    expect(perActor).toBeLessThan(1024);
  });
});
