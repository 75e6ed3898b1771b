/**
 * Configuration, read from the environment once, at the edge (the `ems`
 * command), and validated with zod. Everything below receives a typed object;
 * nothing else reads process.env. A bad value stops the process with one line
 * naming the variable.
 */
import { z } from 'zod';
import { parseTrustedProxies } from '../core/trusted-proxies.ts';
import { parseRedisTarget } from '../runtime/redis/connect.ts';

const port = z.coerce.number().int().min(0).max(65535);
const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const isRedisTarget = (url: string) => {
  try {
    parseRedisTarget({ url });
    return true;
  } catch {
    return false;
  }
};

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

export const ConfigSchema = z
  .object({
    PORT: port.default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
    ),
    // One redis:// URL, or a Redis Cluster's nodes separated by commas (runtime/redis/connect.ts).
    REDIS_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^rediss?:\/\//, 'must be a redis:// URL')
        .refine(isRedisTarget, 'must be a redis:// URL or a comma-separated list of cluster nodes')
        .optional(),
    ),
    /** The one REDIS_URL is a Redis Cluster's seed node (a list of several nodes always is a cluster). */
    EMS_REDIS_CLUSTER: z.preprocess(
      emptyToUndefined,
      z
        .enum(['true', 'false', '1', '0'])
        .default('false')
        .transform((v) => v === 'true' || v === '1'),
    ),
    EMS_REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
      .default('ems'),
    EMS_DATA_DIR: z.string().min(1).default('./.ems-data'),
    JWT_SECRET: z.preprocess(
      emptyToUndefined,
      z.string().min(16, 'must be at least 16 characters').optional(),
    ),
    EMS_ADMIN_USERNAME: z.string().min(1).default('admin'),
    EMS_ADMIN_PASSWORD: optionalString,
    EMS_SHARDS: z.coerce.number().int().min(1).max(4096).default(64),
    EMS_DEFAULT_TIME_ZONE: z.string().refine(isTimeZone, 'must be an IANA time zone').default('UTC'),
    EMS_DB_POOL: z.coerce.number().int().min(1).max(200).default(20),
    /**
     * Unset: raw readings are kept for ever. Set: whole months of raw readings older than this
     * many days are dropped (hourly totals and alerts stay), and older readings are refused (422).
     */
    EMS_RAW_RETENTION_DAYS: z.preprocess(
      emptyToUndefined,
      z.coerce.number().int().min(1).max(36_500).optional(),
    ),
    EMS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    EMS_TOKEN_TTL_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 365)
      .default(12),
    EMS_NODE_ID: optionalString,
    GEMINI_API_KEY: optionalString,
    GEMINI_MODEL: z.string().min(1).default('gemini-2.5-flash'),
    GEMINI_BASE_URL: z.preprocess(emptyToUndefined, z.url().optional()),
    EMS_TRUSTED_PROXIES: z
      .string()
      .optional()
      .transform((v) =>
        (v ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .superRefine((list, ctx) => {
        try {
          parseTrustedProxies(list);
        } catch (err) {
          ctx.addIssue({
            code: 'custom',
            message: `must be comma-separated CIDRs: ${(err as Error).message}`,
          });
        }
      }),
    EMS_METRICS_TOKEN: z.preprocess(
      emptyToUndefined,
      z.string().min(16, 'must be at least 16 characters').optional(),
    ),
    // MQTT ingest (issue 15): set, this api process subscribes to the broker (README "Connect a real meter").
    EMS_MQTT_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must be an mqtt:// (or mqtts://, ws://, wss://) URL')
        .optional(),
    ),
    /** Prefix of the ems/devices/… topics (several EMS installations, or test runs, on one broker). */
    EMS_MQTT_TOPIC_PREFIX: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^[A-Za-z0-9_./-]+$/, 'letters, digits, _ . - / only')
        .optional(),
    ),
    /** Broker connections per api node, all in the shared group (more: more messages in flight). */
    EMS_MQTT_CONNECTIONS: z.coerce.number().int().min(1).max(64).default(2),
    /** Default: <EMS_REDIS_PREFIX>-<EMS_NODE_ID or hostname>; must survive a restart of the node. */
    EMS_MQTT_CLIENT_ID: optionalString,
    // Notifications (issue 15; README "Notifications"). Unset SMTP URL: no alert e-mails.
    EMS_SMTP_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
        .optional(),
    ),
    EMS_MAIL_FROM: z.preprocess(emptyToUndefined, z.string().min(3).default('EMS <ems@localhost>')),
    /** Where users reach the UI: the device link in alert e-mails (default http://localhost:PORT). */
    EMS_PUBLIC_URL: z.preprocess(emptyToUndefined, z.url().optional()),
    EMS_WEBHOOK_ALLOW_PRIVATE: z.preprocess(
      emptyToUndefined,
      z
        .enum(['true', 'false', '1', '0'])
        .default('false')
        .transform((v) => v === 'true' || v === '1'),
    ),
  })
  .refine((c) => !c.DATABASE_URL || c.JWT_SECRET, {
    path: ['JWT_SECRET'],
    message: 'is required when DATABASE_URL is set',
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError with one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`PORT=` in a compose or .env file) means "unset": without this,
  // PORT= would coerce to 0 and listen on a random port.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = ConfigSchema.safeParse(set);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = issue.path.join('.');
  const value = set[name];
  // URLs may carry credentials (postgres://user:password@host), so they are never echoed
  // either; JSON quoting keeps a value with a newline on the one line.
  const secret = /SECRET|PASSWORD|KEY|URL|TOKEN/.test(name);
  const shown = value === undefined || secret ? '' : ` (got ${JSON.stringify(value.slice(0, 80))})`;
  throw new ConfigError(`Configuration error: ${name} ${issue.message}${shown}`);
}
