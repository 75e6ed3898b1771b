/**
 * Checks that compose.yaml still describes the deployment docs/OPERATIONS.md
 * promises; `docker-compose config -q` (run beside it in .ci/run) checks the
 * syntax, this checks the meaning: Postgres and Redis with volumes and
 * healthchecks, Redis with its append-only file, a one-shot migration that
 * every node waits for, two api and two runtime replicas probed on /readyz,
 * secrets only from the env file, the simulator behind the `demo` profile.
 * Run: npx tsx .ci/compose-check.ts   (exit 1 and one line per problem)
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

type Service = {
  image?: string;
  command?: string[] | string;
  restart?: string;
  volumes?: string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
  environment?: Record<string, string>;
  profiles?: string[];
  stop_grace_period?: string;
};

const root = new URL('../', import.meta.url);
const text = readFileSync(new URL('compose.yaml', root), 'utf8');
const compose = parse(text, { merge: true }) as { services: Record<string, Service>; volumes?: object };
const problems: string[] = [];
const check = (ok: unknown, problem: string) => {
  if (!ok) problems.push(problem);
};
const words = (v: string[] | string | undefined) => (Array.isArray(v) ? v.join(' ') : (v ?? ''));
const seconds = (d: string | undefined) => {
  const m = /^(\d+)(s|m)$/.exec(d ?? '');
  return m ? Number(m[1]) * (m[2] === 'm' ? 60 : 1) : 0;
};
const named = (s: Service, path: string) =>
  (s.volumes ?? []).some((v) => {
    const [source, target] = v.split(':');
    return target === path && !!source && !source.startsWith('.') && !source.startsWith('/');
  });

const { postgres, redis, migrate, api, runtime, simulator } = compose.services;
check(postgres?.image?.startsWith('postgres:15'), 'postgres: image postgres:15');
check(postgres && named(postgres, '/var/lib/postgresql/data'), 'postgres: a named volume for its data');
check(words(postgres?.healthcheck?.test).includes('pg_isready'), 'postgres: healthcheck with pg_isready');

check(redis?.image?.startsWith('redis:7'), 'redis: image redis:7');
check(
  /--appendonly yes/.test(words(redis?.command)),
  'redis: --appendonly yes (accepted readings live there)',
);
check(/--maxmemory-policy noeviction/.test(words(redis?.command)), 'redis: noeviction (BullMQ keys)');
check(redis && named(redis, '/data'), 'redis: a named volume for /data');
check(words(redis?.healthcheck?.test).includes('ping'), 'redis: healthcheck with redis-cli ping');

check(/\bmigrate$/.test(words(migrate?.command)), 'migrate: runs `ems migrate`');
check(migrate?.restart === 'no', 'migrate: one-shot (restart: "no")');
check(
  migrate?.depends_on?.postgres?.condition === 'service_healthy',
  'migrate: waits for a healthy postgres',
);

for (const [name, role] of [
  ['api', api],
  ['runtime', runtime],
] as const) {
  check(role, `${name}: the service exists`);
  if (!role) continue;
  check(words(role.command).endsWith(`bin/ems.mjs ${name}`), `${name}: runs \`ems ${name}\``);
  check((role.deploy?.replicas ?? 1) >= 2, `${name}: at least 2 replicas`);
  check(words(role.healthcheck?.test).includes('/readyz'), `${name}: healthcheck on /readyz`);
  check(role.image === api?.image, `${name}: the same image as every role`);
  check(role.depends_on?.postgres?.condition === 'service_healthy', `${name}: waits for a healthy postgres`);
  check(role.depends_on?.redis?.condition === 'service_healthy', `${name}: waits for a healthy redis`);
  check(
    role.depends_on?.migrate?.condition === 'service_completed_successfully',
    `${name}: waits for the migration`,
  );
  check(seconds(role.stop_grace_period) > 30, `${name}: stop_grace_period above the 30 s drain bound`);
  check(role.environment?.PORT, `${name}: PORT set (a runtime node answers probes only then)`);
}

// Secrets come from .env by interpolation, never written into the file.
const secrets = ['JWT_SECRET', 'EMS_ADMIN_PASSWORD', 'GEMINI_API_KEY', 'POSTGRES_PASSWORD'];
for (const [name, service] of Object.entries(compose.services)) {
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    if (secrets.includes(key)) check(String(value).startsWith('${'), `${name}: ${key} must come from .env`);
  }
}
const example = readFileSync(new URL('.env.example', root), 'utf8');
for (const secret of secrets) check(example.includes(`${secret}=`), `.env.example: documents ${secret}`);
check(/^\.env$/m.test(readFileSync(new URL('.gitignore', root), 'utf8')), '.gitignore: .env');

check(simulator?.profiles?.includes('demo'), 'simulator: optional, behind profile "demo"');
check(
  /simulate --create 20 --speed 1\b/.test(words(simulator?.command)),
  'simulator: ems simulate --create 20',
);

if (problems.length > 0) {
  for (const p of problems) console.error(`compose.yaml: ${p}`);
  process.exit(1);
}
console.log(`compose.yaml: ${Object.keys(compose.services).length} services as docs/OPERATIONS.md describes`);
