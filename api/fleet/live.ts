/**
 * Live fleet summary for admins: at most once a second, and only when it
 * changed, each api node sends `fleet:summary` to the admins connected to it
 * (a local emit: every node serves its own sockets, so nothing is sent twice
 * and a node with no admin connected runs no query at all). A tick never
 * overlaps the previous one; a failed query is retried next tick and reported
 * once per outage (not once a second while the database is away).
 */
import type { Server } from 'socket.io';
import { ADMINS_ROOM } from '../../core/rooms.ts';
import type { FleetSummary } from '../contract.ts';

export interface AdminSockets {
  /** Whether any admin socket is connected to this node. */
  present(): boolean;
  emit(summary: FleetSummary): void;
}

export interface FleetLiveOptions {
  admins: AdminSockets;
  summary: () => Promise<FleetSummary>;
  /** Minimum time between two sends; default 1000 ms (docs/API.md: at most once a second). */
  intervalMs?: number;
  /** The first failure after a success (an outage is reported once). */
  onError?: (err: unknown) => void;
}

export class FleetLive {
  readonly #opts: FleetLiveOptions;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #last = '';
  #failing = false;

  constructor(opts: FleetLiveOptions) {
    this.#opts = opts;
  }

  start(): this {
    this.#timer ??= setInterval(() => void this.tick(), this.#opts.intervalMs ?? 1000);
    this.#timer.unref?.();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One round: query and send if admins are here and the summary changed. */
  async tick(): Promise<void> {
    if (this.#running || !this.#opts.admins.present()) {
      if (!this.#opts.admins.present()) this.#last = ''; // the next admin gets the first change at once
      return;
    }
    this.#running = true;
    try {
      const summary = await this.#opts.summary();
      const json = JSON.stringify(summary);
      this.#failing = false;
      if (json !== this.#last) {
        this.#last = json;
        this.#opts.admins.emit(summary);
      }
    } catch (err) {
      if (!this.#failing) this.#opts.onError?.(err);
      this.#failing = true;
    } finally {
      this.#running = false;
    }
  }
}

/** The admins connected to this node's Socket.IO server (local only: each node serves its own). */
export function adminSocketsOf(io: Server): AdminSockets {
  return {
    present: () => (io.of('/').adapter.rooms.get(ADMINS_ROOM)?.size ?? 0) > 0,
    emit: (summary) => io.local.to(ADMINS_ROOM).emit('fleet:summary', summary),
  };
}
