/**
 * `ems` — the one entry point: start | api | runtime | migrate | simulate.
 * Reads and validates the environment once, here, and hands typed config to
 * everything else. Every long-running command stops cleanly on SIGTERM/SIGINT.
 */
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { keepUpOnStrayConnectionErrors } from './stray-connection-errors.ts';

const USAGE = `Usage: ems <command> [options]

Commands:
  start      Everything in one process: api, dashboard, Socket.IO and a runtime node.
             With no DATABASE_URL an embedded database lives in EMS_DATA_DIR.
  api        An api node (HTTP, dashboard, Socket.IO). Needs DATABASE_URL and REDIS_URL.
  runtime    A runtime node (device actors for the shards it leases). Needs DATABASE_URL and REDIS_URL.
  migrate    Apply pending database migrations and exit.
  simulate   Stream meter readings to an EMS server (see: ems simulate --help).
  demo       ems demo --remove: delete the demo client and its devices made by "ems start --demo".
  jobs       ems jobs poisoned | requeue: shard jobs set aside as poison (distributed mode).

Run "ems <command> --help" for the options of a command. Configuration comes from the
environment (PORT, HOST, DATABASE_URL, REDIS_URL, EMS_DATA_DIR, JWT_SECRET, EMS_ADMIN_USERNAME,
EMS_ADMIN_PASSWORD, EMS_SHARDS, EMS_DEFAULT_TIME_ZONE, GEMINI_API_KEY, GEMINI_MODEL,
GEMINI_BASE_URL); see README.md.`;

const HELP: Record<string, string> = {
  start: `Usage: ems start [--demo] [--build-ui]

Runs the whole system in one process on PORT (default 8080).
  --demo       create a demo client ("demo" / "demo-password") with a few devices, backfill their
               last 35 days through the ingest path and keep them live ("ems demo --remove" undoes it)
  --build-ui   build the dashboard first if ui/dist is missing (npm start does this)`,
  api: 'Usage: ems api\n\nRuns an api node: REST, dashboard and Socket.IO on PORT. Requires DATABASE_URL, REDIS_URL and JWT_SECRET.',
  runtime:
    'Usage: ems runtime\n\nRuns a runtime node that leases shards and hosts their device actors. Requires DATABASE_URL and REDIS_URL.\nWith PORT set, it answers /healthz, /readyz and /metrics there.',
  demo: 'Usage: ems demo --remove\n\nDeletes the demo client ("demo") and its tagged devices, with their readings and alerts.',
  jobs: `Usage: ems jobs poisoned | requeue

Shard jobs a runtime node set aside as poison (malformed, or data the database refuses),
counted in ems_shard_jobs_poisoned_total. Needs REDIS_URL.
  poisoned   list them: shard, job, when, what it carries, why
  requeue    put them back at the tail of their shard queues (after fixing the cause)`,
  migrate:
    'Usage: ems migrate\n\nApplies pending migrations (to DATABASE_URL, or the embedded database in EMS_DATA_DIR) and exits.',
};

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command === 'simulate') {
    const { runSimulate } = await import('../simulator/index.ts');
    process.exitCode = await runSimulate(rest);
    return;
  }
  if (!(command in HELP)) {
    console.error(`ems: unknown command "${command}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(HELP[command]);
    return;
  }
  const known =
    command === 'start'
      ? ['--demo', '--build-ui']
      : command === 'demo'
        ? ['--remove']
        : command === 'jobs'
          ? ['poisoned', 'requeue']
          : [];
  const unknown = rest.find((a) => !known.includes(a));
  if (unknown) {
    console.error(`ems ${command}: unknown option "${unknown}"\n\n${HELP[command]}`);
    process.exitCode = 2;
    return;
  }

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
    if ((command === 'api' || command === 'runtime') && (!config.DATABASE_URL || !config.REDIS_URL)) {
      throw new ConfigError(
        `Configuration error: ems ${command} needs DATABASE_URL and REDIS_URL (or use "ems start")`,
      );
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const log = createLogger(config.EMS_LOG_LEVEL, `ems-${command}`);

  if (command === 'demo') {
    if (!rest.includes('--remove')) {
      console.log(HELP.demo);
      process.exitCode = 2;
      return;
    }
    const { openConfiguredDatabase } = await import('./processes.ts');
    const { removeDemo } = await import('./demo.ts');
    const { migrate } = await import('../db/migrate.ts');
    const db = await openConfiguredDatabase(config);
    await migrate(db.sql); // a data directory that never ran still answers "nothing to remove"
    const removed = await removeDemo(db.sql);
    await db.close();
    console.log(`Demo removed: ${removed.devices} devices, ${removed.users} user.`);
    return;
  }

  if (command === 'jobs') {
    const action = rest.find((a) => a === 'poisoned' || a === 'requeue');
    if (!action || rest.length !== 1) {
      console.log(HELP.jobs);
      process.exitCode = 2;
      return;
    }
    const { runJobs } = await import('./jobs.ts');
    process.exitCode = await runJobs(action, config);
    return;
  }

  if (command === 'migrate') {
    const { openConfiguredDatabase } = await import('./processes.ts');
    const { migrate } = await import('../db/migrate.ts');
    const db = await openConfiguredDatabase(config);
    const applied = await migrate(db.sql);
    await db.close();
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
    return;
  }

  if (command === 'start' && rest.includes('--build-ui')) {
    const { ensureUiBuilt } = await import('./build-ui.ts');
    await ensureUiBuilt(log);
  }

  const { startProcess } = await import('./processes.ts');
  // A runtime node has no api; with PORT set explicitly it still answers the probes there
  // (unset, `ems runtime` and `ems api` can share a host on the default port).
  const roles = {
    api: command !== 'runtime',
    runtime: command !== 'api',
    ops: command === 'runtime' && process.env.PORT !== undefined && process.env.PORT !== '',
  };
  keepUpOnStrayConnectionErrors(log);
  const running = await startProcess(config, roles, log);
  if (command === 'start' && rest.includes('--demo') && running.port && running.deps) {
    const { startDemo } = await import('./demo.ts');
    const demo = await startDemo(running.deps, running.port, log);
    const stop = running.stop;
    running.stop = async () => {
      await demo.stop();
      await stop();
    };
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: draining in-flight work');
    const force = setTimeout(() => {
      log.error('drain took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    running
      .stop()
      .then(() => {
        log.info('stopped');
        process.exit(0);
      })
      .catch((err) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
