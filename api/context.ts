/**
 * What every route handler receives: the dependencies of the api (database,
 * token service, runtime producer and event publisher, logger) and the
 * authenticated principal of the request.
 */
import type { Logger } from 'pino';
import type { Sql } from '../db/connect.ts';
import type { EventPublisher, ShardQueueProducer } from '../runtime/types.ts';
import type { AccessChanges } from './auth/access-changes.ts';
import type { JwtService } from './auth/jwt.ts';
import type { LoginLimiter } from './auth/throttle.ts';
import type { BusCacheOptions } from './cache/bus-cache.ts';
import type { DeviceInvalidations } from './readings/device-invalidations.ts';
import type { UserRow } from './users/repo.ts';

export interface AppDeps {
  sql: Sql;
  jwt: JwtService;
  log: Logger;
  throttle: LoginLimiter;
  /** EMS_TRUSTED_PROXIES: CIDRs whose X-Forwarded-For is believed (auth/client-address.ts). */
  trustedProxies?: readonly string[] | undefined;
  /** EMS_METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken?: string | undefined;
  producer: ShardQueueProducer;
  events: EventPublisher;
  shards: number;
  defaultTimeZone: string;
  /** EMS_RAW_RETENTION_DAYS: readings older than this many days are refused (422). Unset: none is. */
  rawRetentionDays?: number | undefined;
  /** Extra readiness checks (Redis ping) beside the database. */
  readinessChecks?: Array<() => Promise<void>>;
  /** Tells every api node that a device was deleted (default: this process only). */
  deviceInvalidations?: DeviceInvalidations;
  /** Tells every api node that access changed: sessions, tokens, users (default: this process only). */
  accessChanges?: AccessChanges | undefined;
  /** Size and TTL of this app's principal cache (auth/principal-cache.ts; default 10,000 entries, 10 s). */
  principalCache?: BusCacheOptions | undefined;
  /** Size and TTL of this app's device list cache (devices/list-cache.ts; default 256 pages, 5 s). */
  deviceListCache?: BusCacheOptions | undefined;
  /** Webhooks (issue 15): EMS_WEBHOOK_ALLOW_PRIVATE, and a nudge to the delivery worker after a test ping. */
  webhooks?: { allowPrivate: boolean; wake?: () => void } | undefined;
  /** Set while draining: /readyz answers 503. */
  draining?: () => boolean;
}

export type Principal =
  | {
      kind: 'user';
      user: UserRow;
      via: 'jwt' | 'pat';
      /** The personal access token's id (via 'pat'). */
      tokenId?: string;
      /** The login session's id (via 'jwt'). */
      sessionId?: string;
      expiresAt?: number;
    }
  | { kind: 'device'; deviceId: string; tokenId: string };

/** The running request's deadline, as handlers see it (`c.var.deadline`, api/ops/request-deadline.ts). */
export interface RequestDeadline {
  /** Runs `work` with the clock stopped: its time does not count against the deadline. */
  excluding<T>(work: () => Promise<T>): Promise<T>;
}

export interface AppEnv {
  Variables: {
    principal: Principal | undefined;
    requestId: string;
    /** Set by the /api request deadline (api/ops/request-deadline.ts). */
    deadline?: RequestDeadline;
  };
}
