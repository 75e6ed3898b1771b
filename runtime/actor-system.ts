/**
 * The actor system: a directory of actors keyed by string id, each with a
 * mailbox that it processes strictly one message at a time in arrival order,
 * while different actors run concurrently. Actors are activated lazily on
 * their first message (the application loads their state) and passivated after
 * idling, so only the working set stays in memory.
 *
 * Error policy: when `receive` throws, the error goes to the asker and the
 * actor instance is discarded; the next message activates a fresh one from
 * persisted state. Nothing an actor does can crash the node.
 *
 * Memory matters (100k resident actors): a resident actor costs one Map entry
 * and one small slot object; the mailbox array exists only while messages
 * wait, and idleness is tracked with a tick counter advanced by one shared
 * sweep timer instead of a timer or timestamp per actor.
 */
import type { ErrorReporter } from './types.ts';

export interface Actor<M = unknown, R = unknown> {
  receive(msg: M): Promise<R> | R;
  /** Called once before the instance is dropped for idleness or on request (not after a failure). */
  onPassivate?(): void | Promise<void>;
}

export interface ActorSystemOptions<A> {
  /** Builds the actor for `id`, typically loading its persisted state. Called once per activation. */
  activate: (id: string) => Promise<A>;
  /** Passivate actors that received no message for this long. Default 60 000 ms; 0 disables. */
  idleMs?: number;
  /** Failures nobody awaits: `tell` messages that threw, failed activations and onPassivate errors. */
  onError?: ErrorReporter;
}

/** A message waiting in a mailbox. `PASSIVATE` marks a passivation request queued behind earlier messages. */
interface Envelope<M, R> {
  msg: M | typeof PASSIVATE;
  resolve: ((value: R) => void) | null;
  reject: ((error: unknown) => void) | null;
}

const PASSIVATE = Symbol('passivate');

class Slot<A, M, R> {
  actor: A | null = null;
  mailbox: Envelope<M, R>[] | null = null;
  running = false;
  constructor(public lastTick: number) {}
}

const COMPACT_AFTER = 1024;

/** Idleness is checked this many times per `idleMs`, so an actor idles between idleMs and 1.25 × idleMs. */
const SWEEPS_PER_IDLE = 4;

export class ActorSystem<A extends Actor<M, R>, M = unknown, R = unknown> {
  readonly #slots = new Map<string, Slot<A, M, R>>();
  readonly #activate: (id: string) => Promise<A>;
  readonly #onError: ErrorReporter;
  readonly #sweepTimer: ReturnType<typeof setInterval> | null = null;
  #tick = 0;

  constructor(options: ActorSystemOptions<A>) {
    this.#activate = options.activate;
    this.#onError = options.onError ?? (() => {});
    const idleMs = options.idleMs ?? 60_000;
    if (idleMs > 0) {
      this.#sweepTimer = setInterval(() => this.#sweep(), Math.max(1, idleMs / SWEEPS_PER_IDLE));
      this.#sweepTimer.unref?.();
    }
  }

  /** Number of resident actors (activated, activating or with messages waiting). */
  get size(): number {
    return this.#slots.size;
  }

  isResident(id: string): boolean {
    return this.#slots.has(id);
  }

  /**
   * The activated instance of actor `id`, if there is one, without activating
   * it or waiting for its mailbox: for reading what an actor shows outside its
   * messages (the device actor's configuration). Never for changing it.
   */
  peek(id: string): Readonly<A> | undefined {
    return this.#slots.get(id)?.actor ?? undefined;
  }

  /** Sends `msg` to actor `id` and resolves with its reply (or rejects with its error). */
  ask(id: string, msg: M): Promise<R> {
    return new Promise<R>((resolve, reject) => this.#enqueue(id, { msg, resolve, reject }));
  }

  /** Sends `msg` without waiting; a failure is reported to `onError`. */
  tell(id: string, msg: M): void {
    this.#enqueue(id, { msg, resolve: null, reject: null });
  }

  /**
   * Passivates actor `id` after the messages already in its mailbox. Messages
   * sent later activate a fresh instance. Resolves when done (at once if the
   * actor is not resident).
   */
  passivate(id: string): Promise<void> {
    if (!this.#slots.has(id)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#enqueue(id, { msg: PASSIVATE, resolve: () => resolve(), reject: () => resolve() });
    });
  }

  /** Passivates every resident actor whose id passes `filter` (all when omitted). */
  async passivateAll(filter?: (id: string) => boolean): Promise<void> {
    const ids = [...this.#slots.keys()].filter((id) => !filter || filter(id));
    await Promise.all(ids.map((id) => this.passivate(id)));
  }

  /** Stops the idle sweep and passivates every actor. */
  async close(): Promise<void> {
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    await this.passivateAll();
  }

  #enqueue(id: string, envelope: Envelope<M, R>): void {
    let slot = this.#slots.get(id);
    if (!slot) {
      slot = new Slot<A, M, R>(this.#tick);
      this.#slots.set(id, slot);
    }
    slot.lastTick = this.#tick;
    if (slot.mailbox) slot.mailbox.push(envelope);
    else slot.mailbox = [envelope];
    if (!slot.running) {
      slot.running = true;
      void this.#drain(id, slot);
    }
  }

  async #drain(id: string, slot: Slot<A, M, R>): Promise<void> {
    // Yield first so a sender never runs actor code inside its own call stack.
    await null;
    const mailbox = slot.mailbox!;
    for (let i = 0; i < mailbox.length; i++) {
      const envelope = mailbox[i]!;
      if (i === COMPACT_AFTER) {
        // A busy actor may never empty its mailbox: drop the processed prefix now and then.
        mailbox.splice(0, i);
        i = 0;
      }
      if (envelope.msg === PASSIVATE) {
        await this.#passivateSlot(id, slot);
        envelope.resolve?.(undefined as R);
        continue;
      }
      await this.#deliver(id, slot, envelope, envelope.msg);
    }
    slot.mailbox = null;
    slot.running = false;
    // A slot with no live actor and nothing to do holds nothing worth keeping.
    if (slot.actor === null && this.#slots.get(id) === slot) this.#slots.delete(id);
  }

  async #deliver(id: string, slot: Slot<A, M, R>, envelope: Envelope<M, R>, msg: M): Promise<void> {
    try {
      if (slot.actor === null) slot.actor = await this.#activate(id);
      const reply = slot.actor.receive(msg);
      const value = isThenable(reply) ? await reply : reply;
      envelope.resolve?.(value);
    } catch (error) {
      // The instance may hold half-applied state: drop it, persisted state is the truth.
      slot.actor = null;
      if (envelope.reject) envelope.reject(error);
      else this.#onError(error, { where: 'actor', actorId: id });
    }
  }

  async #passivateSlot(id: string, slot: Slot<A, M, R>): Promise<void> {
    const actor = slot.actor;
    slot.actor = null;
    if (!actor?.onPassivate) return;
    try {
      await actor.onPassivate();
    } catch (error) {
      this.#onError(error, { where: 'actor', actorId: id });
    }
  }

  #sweep(): void {
    const now = ++this.#tick;
    for (const [id, slot] of this.#slots) {
      if (!slot.running && now - slot.lastTick >= SWEEPS_PER_IDLE) void this.passivate(id);
    }
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<T>).then === 'function';
}
