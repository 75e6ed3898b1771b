/**
 * `ems simulate`: reads the arguments, prepares the source and the devices,
 * then runs the delivery loop with progress output and prints a summary.
 * Exit codes: 0 done, 1 the server refused (or an unexpected failure),
 * 2 bad arguments or input file, 130 interrupted (SIGINT).
 */
import { readFile } from 'node:fs/promises';
import { ArgumentError, parseSimulateArgs, type SimulateOptions } from './args.ts';
import { CsvError, parseMeterCsv } from './csv.ts';
import { deliver, emptyStats } from './deliver.ts';
import { createDevice, suggestedLimitForRegister } from './devices-api.ts';
import { SIMULATE_HELP } from './help.ts';
import { HttpSink } from './http-sink.ts';
import { MqttSink } from './mqtt-sink.ts';
import { planRun } from './plan.ts';
import { PEAK_MEAN_KW } from './profile.ts';
import { formatSummary, type Output, ProgressReporter } from './progress.ts';
import { RedisSink } from './redis-sink.ts';
import { type ReadingSink, type RetryEvent, SinkRejectedError } from './sink.ts';

export interface SimulateIo {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  /** Stops the run like SIGINT does. When absent, SIGINT itself is listened to. */
  signal?: AbortSignal;
  /** Replaces the HTTP transport (tests, embedding). */
  sink?: ReadingSink;
  fetch?: typeof fetch;
}

const PREFIX = 'ems simulate:';

export async function runSimulate(argv: string[], io: SimulateIo = processIo()): Promise<number> {
  let options: SimulateOptions;
  try {
    options = parseSimulateArgs(argv, io.env);
  } catch (error) {
    if (error instanceof ArgumentError) return usageError(io, error.message);
    throw error;
  }
  if (options.help) {
    io.stdout.write(SIMULATE_HELP);
    return 0;
  }
  try {
    return await simulate(options, io);
  } catch (error) {
    if (error instanceof ArgumentError || error instanceof CsvError) return usageError(io, error.message);
    if (error instanceof SinkRejectedError) {
      io.stderr.write(describeRejection(error));
      return 1;
    }
    io.stderr.write(`${PREFIX} ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function simulate(options: SimulateOptions, io: SimulateIo): Promise<number> {
  const token = options.tokenFile
    ? (await readText('--token-file', options.tokenFile)).trim()
    : options.token;
  // Over Redis the token only serves --create (devices are made through the api).
  const direct = options.redis !== undefined || options.mqtt !== undefined;
  if (!token && (options.create || (!io.sink && !direct))) {
    throw new ArgumentError('--token is required (or --token-file, or $EMS_TOKEN)');
  }
  const csv = options.csv ? parseMeterCsv(await readText('--csv', options.csv), options.csv) : undefined;
  const deviceIds = [...options.deviceIds];
  if (options.devicesFile)
    deviceIds.push(...parseDeviceList(await readText('--devices-file', options.devicesFile)));
  if (csv?.format === 'table' && (deviceIds.length > 0 || options.create)) {
    throw new ArgumentError(
      `--csv ${options.csv} names its own devices; drop --device/--devices-file/--create`,
    );
  }
  if (csv?.format !== 'table' && deviceIds.length === 0 && !options.create) {
    throw new ArgumentError('no devices: give --device ID, --devices-file FILE or --create N');
  }

  if (options.create) {
    const maxHourlyKwh =
      options.maxHourlyKwh ??
      (csv?.format === 'register'
        ? suggestedLimitForRegister(csv.values, options.intervalMs)
        : Math.round(PEAK_MEAN_KW * 1.3));
    for (let n = 1; n <= options.create; n++) {
      const device = await createDevice(
        options.url,
        token ?? '',
        {
          name: `Simulated meter ${n}`,
          description: `created by ems simulate (${options.csv ? `replay of ${options.csv}` : `seed ${options.seed}`})`,
          maxHourlyKwh,
          meterKind: options.meterKind,
          timeZone: options.timeZone,
        },
        io.fetch,
      );
      io.stdout.write(`${device.id}\n`);
      deviceIds.push(device.id);
    }
  }

  const plan = planRun(options, csv, deviceIds, Date.now());
  const stats = emptyStats();
  const onRetry = (event: RetryEvent) => {
    stats.retries++;
    stats.lastRetryReason = event.reason;
  };
  const retry = { baseDelayMs: options.retryDelayMs };
  const sink: ReadingSink =
    io.sink ??
    (options.mqtt !== undefined
      ? new MqttSink({ url: options.mqtt, topicPrefix: options.mqttPrefix, retry, onRetry })
      : options.redis !== undefined
        ? new RedisSink({
            url: options.redis,
            prefix: options.redisPrefix,
            shards: options.shards,
            retry,
            onRetry,
          })
        : new HttpSink({ url: options.url, token: token ?? '', retry, fetch: io.fetch, onRetry }));

  const interrupt = linkInterrupt(io);
  const progress = new ProgressReporter({ stream: io.stderr, stats, total: plan.total });
  io.stderr.write(`${PREFIX} ${plan.description}\n`);
  if (options.redis !== undefined && !io.sink) {
    io.stderr.write(
      `${PREFIX} straight to the shard queues (prefix ${options.redisPrefix}, ${options.shards} shards); ` +
        'device ids are not checked: the runtime drops readings of unknown devices\n',
    );
  }
  const startedAt = Date.now();
  progress.start();
  try {
    const result = await deliver(plan.readings, {
      sink,
      pacing: plan.pacing,
      batchSize: options.batchSize,
      concurrency: options.concurrency,
      signal: interrupt.signal,
      stats,
    });
    progress.stop();
    const outcome =
      result.outcome === 'done' ? 'done' : result.outcome === 'stopped' ? 'interrupted' : 'failed';
    io.stdout.write(`${formatSummary(stats, Date.now() - startedAt, outcome)}\n`);
    if (result.outcome === 'failed') {
      const error = result.error!;
      io.stderr.write(
        error instanceof SinkRejectedError ? describeRejection(error) : `${PREFIX} ${error.message}\n`,
      );
      return 1;
    }
    return result.outcome === 'stopped' ? 130 : 0;
  } finally {
    progress.stop();
    interrupt.dispose();
    await sink.close?.();
  }
}

function parseDeviceList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}

async function readText(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error instanceof Error ? error.message : 'error');
    throw new ArgumentError(`${flag}: cannot read ${file} (${code})`);
  }
}

function usageError(io: SimulateIo, message: string): number {
  io.stderr.write(`${PREFIX} ${message} (see ems simulate --help)\n`);
  return 2;
}

function describeRejection(error: SinkRejectedError): string {
  const lines = [`${PREFIX} the server refused the request: ${error.status} ${error.code}: ${error.message}`];
  for (const detail of error.details) lines.push(`  ${detail.path}: ${detail.message}`);
  return `${lines.join('\n')}\n`;
}

/** SIGINT (or io.signal) → a graceful stop; a second SIGINT quits at once. */
function linkInterrupt(io: SimulateIo): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  if (io.signal) {
    const onAbort = () => controller.abort();
    if (io.signal.aborted) controller.abort();
    io.signal.addEventListener('abort', onAbort, { once: true });
    return { signal: controller.signal, dispose: () => io.signal?.removeEventListener('abort', onAbort) };
  }
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr.write(`\n${PREFIX} stopping after the requests in flight (Ctrl-C again to quit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

function processIo(): SimulateIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
