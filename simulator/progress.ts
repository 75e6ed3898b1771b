/**
 * What the person running the simulator sees: on a terminal one line that
 * updates in place (readings sent, rate, retries, ETA when the total is
 * known); in a log (not a TTY) a plain line every few seconds; and at the end
 * one summary. Progress goes to stderr so stdout stays clean for results.
 */
import type { DeliveryStats } from './deliver.ts';
import { formatDuration } from './durations.ts';

/** The part of a stream the simulator writes to (process.stdout, or a test double). */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** An Output that keeps what was written, not a TTY: for tests, and callers that show it only on failure. */
export class KeptOutput implements Output {
  text = '';
  isTTY = false;
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

export interface ProgressOptions {
  stream: Output;
  stats: DeliveryStats;
  /** Total readings when known (enables % and ETA). */
  total?: number;
  /** Between updates; default 250 ms on a TTY, 5 s otherwise. */
  everyMs?: number;
  now?: () => number;
}

export class ProgressReporter {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly tty: boolean;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.tty = options.stream.isTTY === true;
  }

  start(): void {
    const everyMs = this.options.everyMs ?? (this.tty ? 250 : 5000);
    this.timer = setInterval(() => this.update(), everyMs);
    // Progress must never be the reason a finished run stays alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Idempotent: clears the TTY line once. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.options.stream.write('\r\x1b[2K');
  }

  update(): void {
    const line = this.line();
    if (this.tty) this.options.stream.write(`\r\x1b[2K${line}`);
    else this.options.stream.write(`${new Date(this.now()).toISOString()} ${line}\n`);
  }

  line(): string {
    const { stats, total } = this.options;
    const elapsed = Math.max(1, this.now() - this.startedAt);
    const rate = (stats.delivered * 1000) / elapsed;
    const parts = [
      total !== undefined
        ? `sent ${stats.delivered}/${total} (${((100 * stats.delivered) / Math.max(1, total)).toFixed(1)}%)`
        : `sent ${stats.delivered}`,
      `${rate.toFixed(0)}/s`,
    ];
    if (stats.retries > 0) parts.push(`retries ${stats.retries} (last: ${stats.lastRetryReason ?? '?'})`);
    if (total !== undefined && rate > 0)
      parts.push(`ETA ${formatDuration(((total - stats.delivered) / rate) * 1000)}`);
    return parts.join(' · ');
  }
}

/** The final summary line. */
export function formatSummary(stats: DeliveryStats, durationMs: number, outcome: string): string {
  const seconds = Math.max(durationMs, 1) / 1000;
  const parts = [
    `${outcome}: sent ${stats.delivered} readings in ${stats.batches} ${stats.batches === 1 ? 'batch' : 'batches'}`,
    `accepted ${stats.accepted}`,
    `retries ${stats.retries}`,
    `duration ${formatDuration(durationMs)}`,
    `rate ${(stats.delivered / seconds).toFixed(1)}/s`,
  ];
  if (stats.abandoned > 0) parts.push(`not delivered ${stats.abandoned}`);
  return parts.join(', ');
}
