/**
 * The loop both delivery workers (webhooks, e-mail) run: drain what is due,
 * then look again after `pollMs`, or at once when woken (a fan-out just wrote
 * rows). One drain at a time; a wake during a drain runs another right after
 * it. `stop()` waits for the drain in flight.
 */
import type { Logger } from 'pino';

export class Poller {
  readonly #drain: () => Promise<void>;
  readonly #pollMs: number;
  readonly #log: Logger;
  readonly #what: string;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  /** `what` names the loop in its failure log line. */
  constructor(drain: () => Promise<void>, pollMs: number, log: Logger, what: string) {
    this.#drain = drain;
    this.#pollMs = pollMs;
    this.#log = log;
    this.#what = what;
  }

  /** True once stopped: a drain checks it between rounds. */
  get stopped(): boolean {
    return this.#stopped;
  }

  start(): void {
    this.#stopped = false;
    this.wake();
  }

  /** Looks for due work now. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#drain()
      .catch((err) => this.#log.warn({ err }, `${this.#what}: round failed`))
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.wake();
        } else this.#timer = setTimeout(() => this.wake(), this.#pollMs);
      });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
