/**
 * A small semaphore in front of every password hash of this process. One
 * scrypt hash costs ~128 MiB and a core for a third of a second, so without a
 * cap a spray of logins (each a hash, even for unknown users) exhausts CPU and
 * memory. At most `concurrency` hashes run; up to `queue` more wait; beyond
 * that the caller gets 503 with Retry-After at once instead of piling up.
 */
import { availableParallelism } from 'node:os';
import { ApiError } from '../errors.ts';

export class HashGate {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.queue) {
        throw new ApiError('unavailable', 'Too many sign-ins in progress; try again shortly', undefined, {
          'retry-after': '1',
        });
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (the count stays), else free it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

/** The process's gate: one hash per core (at least 2), 32 waiting. */
export const hashGate = new HashGate(Math.max(2, availableParallelism()), 32);
