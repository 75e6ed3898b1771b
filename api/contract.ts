/**
 * The public shapes of docs/API.md as zod schemas: the single source for request
 * validation, response types, the generated OpenAPI document and the UI's
 * typed client (which imports these types, never retypes them).
 */
import { z } from '@hono/zod-openapi';
import type { AlertEvent, LiveTotal as LiveTotalEvent, RuntimeEvents } from '../core/events.ts';
import { isCurrency, minutesOf } from '../core/tariff.ts';
import { canonicalTimeZone, isValidTimeZone } from '../core/time.ts';

export const Uuid = z.uuid();
export const IsoDateTime = z.iso.datetime({ offset: true });

export const Role = z.enum(['admin', 'client']);
export type Role = z.infer<typeof Role>;

export const User = z
  .object({
    id: Uuid,
    username: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    role: Role,
    notifyByEmail: z.boolean(),
    createdAt: IsoDateTime,
  })
  .openapi('User');
export type User = z.infer<typeof User>;

export const MeterKind = z.enum(['interval', 'cumulative']);
export type MeterKind = z.infer<typeof MeterKind>;

/** Vendor payload formats a device's own MQTT topic may carry (API.md, Readings → MQTT). */
export const MqttFormat = z.enum(['tasmota', 'shelly']);
export type MqttFormat = z.infer<typeof MqttFormat>;
/**
 * A daily time-of-use schedule in the device's local time (docs/API.md, Devices):
 * periods sorted, the first at 00:00, each on a whole local hour, prices ≥ 0.
 */
export const Tariff = z
  .object({
    currency: z.string().refine(isCurrency, 'must be an ISO 4217 currency code such as EUR'),
    periods: z
      .array(
        z
          .object({
            from: z
              .string()
              .refine((v) => minutesOf(v) % 60 === 0, 'must be a whole local hour HH:00 (00:00 to 23:00)'),
            pricePerKwh: z.number().min(0, 'must be 0 or more').max(1e6),
          })
          .strict(),
      )
      .min(1)
      .max(24)
      .superRefine((periods, ctx) => {
        if (periods[0] && periods[0].from !== '00:00')
          ctx.addIssue({
            code: 'custom',
            path: [0, 'from'],
            message: 'the first period must start at 00:00',
          });
        for (let i = 1; i < periods.length; i++) {
          if (!(minutesOf(periods[i]!.from) > minutesOf(periods[i - 1]!.from)))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'from'],
              message: 'periods must be sorted by from, without repeats',
            });
        }
      }),
  })
  .strict()
  .openapi('Tariff');
export type Tariff = z.infer<typeof Tariff>;

export const Device = z
  .object({
    id: Uuid,
    name: z.string(),
    description: z.string(),
    address: z.string(),
    maxHourlyKwh: z.number(),
    meterKind: MeterKind,
    timeZone: z.string(),
    ownerId: Uuid.nullable(),
    tariff: Tariff.nullable(),
    createdAt: IsoDateTime,
    mqttTopic: z.string().nullable(),
    mqttFormat: MqttFormat.nullable(),
    silentAfterMinutes: z.number().int().nullable(),
  })
  .openapi('Device');
export type Device = z.infer<typeof Device>;

export const AlertKind = z.enum(['exceeded', 'projected', 'silent']);
export type AlertKind = z.infer<typeof AlertKind>;

export const Alert = z
  .object({
    id: Uuid,
    deviceId: Uuid,
    deviceName: z.string(),
    ownerId: Uuid.nullable(),
    kind: AlertKind,
    hourStart: IsoDateTime,
    kwh: z.number(),
    maxHourlyKwh: z.number(),
    late: z.boolean(),
    createdAt: IsoDateTime,
    acknowledgedAt: IsoDateTime.nullable(),
  })
  .openapi('Alert') satisfies z.ZodType<AlertEvent>;
export type Alert = z.infer<typeof Alert>;

export const ConsumptionEntry = z
  .object({
    start: IsoDateTime,
    kwh: z.number(),
    readings: z.number().int(),
    /** kWh × the price in force at the entry's local start, rounded to the currency's minor unit; null without a tariff. */
    cost: z.number().nullable(),
  })
  .openapi('ConsumptionEntry');
export type ConsumptionEntry = z.infer<typeof ConsumptionEntry>;

export const Consumption = z
  .object({
    deviceId: Uuid,
    date: z.string().optional(),
    from: IsoDateTime.optional(),
    to: IsoDateTime.optional(),
    interval: z.enum(['hour', 'day']).optional(),
    timeZone: z.string(),
    unit: z.literal('kWh'),
    maxHourlyKwh: z.number(),
    totalKwh: z.number(),
    /** With a tariff: its currency, and Σ kWh × price rounded once to the minor unit; else null. */
    currency: z.string().nullable(),
    totalCost: z.number().nullable(),
    hours: z.array(ConsumptionEntry),
  })
  .openapi('Consumption');
export type Consumption = z.infer<typeof Consumption>;

export const ChatRole = z.enum(['client', 'admin', 'assistant']);
export type ChatRole = z.infer<typeof ChatRole>;

export const ChatMessage = z
  .object({
    id: Uuid,
    conversationId: Uuid,
    sender: z.object({ id: Uuid.nullable(), role: ChatRole, name: z.string() }),
    body: z.string(),
    createdAt: IsoDateTime,
    readAt: IsoDateTime.nullable(),
  })
  .openapi('ChatMessage');
export type ChatMessage = z.infer<typeof ChatMessage>;

export const Conversation = z
  .object({
    id: Uuid,
    client: z.object({ id: Uuid, username: z.string(), name: z.string() }),
    lastMessage: ChatMessage.nullable(),
    unread: z.number().int(),
  })
  .openapi('Conversation');
export type Conversation = z.infer<typeof Conversation>;

/** `live` socket event: the open hour of one device, at most once a second. */
export const LiveTotal = z
  .object({
    deviceId: Uuid,
    hourStart: IsoDateTime,
    kwh: z.number(),
    rolling60Kwh: z.number(),
    projectedKwh: z.number(),
    at: IsoDateTime,
  })
  .openapi('LiveTotal') satisfies z.ZodType<LiveTotalEvent>;
export type LiveTotal = z.infer<typeof LiveTotal>;

export const ApiErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

export function listOf<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int() });
}
export interface List<T> {
  items: T[];
  total: number;
}

/** The same page with each item converted (a repository's rows into the API's shape). */
export function mapList<R, T>(list: List<R>, convert: (row: R) => T): List<T> {
  return { items: list.items.map(convert), total: list.total };
}

export const LoginResponse = z
  .object({ token: z.string(), expiresAt: IsoDateTime, user: User })
  .openapi('LoginResponse');
export type LoginResponse = z.infer<typeof LoginResponse>;

/** Typed Socket.IO event maps, shared by the gateway and the UI client. */
export interface ServerToClientEvents {
  alert: (alert: RuntimeEvents['alert']) => void;
  live: (live: RuntimeEvents['live']) => void;
  'device:updated': (device: Device) => void;
  'device:deleted': (payload: { id: string }) => void;
  /** To admins: the fleet summary, at most once a second, when it changed. */
  'fleet:summary': (summary: FleetSummary) => void;
  'chat:message': (message: ChatMessage) => void;
  'chat:typing': (payload: { conversationId: string; userId: string; role: Role; typing: boolean }) => void;
  'chat:read': (payload: { conversationId: string; userId: string; upTo: string }) => void;
}
export type Ack<T = unknown> = (reply: ({ ok: true } & T) | { error: ApiErrorBody['error'] }) => void;
export interface ClientToServerEvents {
  'chat:send': (
    payload: { conversationId: string; body: string; toAssistant?: boolean },
    ack: Ack<{ message: ChatMessage }>,
  ) => void;
  'chat:typing': (payload: { conversationId: string; typing: boolean }, ack: Ack) => void;
  'chat:read': (payload: { conversationId: string; upTo: string }, ack: Ack) => void;
}

// Request bodies the dashboard sends. They live here rather than beside their routes so the
// UI can type its calls with `z.input<typeof CreateUser>` (type-only: no zod in the bundle)
// instead of retyping them; the route files import them back.

const Username = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[A-Za-z0-9_.@-]+$/, 'letters, digits and _ . @ - only');
// Administrators set passwords; the contract sets no policy beyond non-empty.
/** docs/API.md's password policy; "not the username" is checked by the handlers (auth/password-policy.ts). */
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 200;
const Password = z
  .string()
  .min(MIN_PASSWORD, `must be at least ${MIN_PASSWORD} characters`)
  .max(MAX_PASSWORD, `must be at most ${MAX_PASSWORD} characters`);
const Name = z.string().trim().min(1).max(200);
const Email = z.email().max(320);

export const CreateUser = z
  .object({ username: Username, password: Password, name: Name, email: Email.nullish(), role: Role })
  .strict()
  .openapi('CreateUser');
export const UpdateUser = z
  .object({ username: Username, password: Password, name: Name, email: Email.nullable(), role: Role })
  .partial()
  .strict()
  .openapi('UpdateUser');

/** Stored in its canonical spelling ('europe/bucharest' → 'Europe/Bucharest', docs/API.md). */
const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Bucharest')
  .transform((zone) => canonicalTimeZone(zone) ?? zone);
const MaxHourlyKwh = z.number().positive('must be greater than 0').max(1e9);

export const MqttTopic = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (t) => !/[+#]/.test(t) && !t.includes(String.fromCharCode(0)),
    'must be a plain topic name (no + or # wildcards)',
  )
  .refine((t) => !t.startsWith('$'), 'must not start with $ (reserved by the broker)')
  .openapi({ description: 'MQTT topic this device publishes on, e.g. tele/plug-7/SENSOR' });

export const MqttFields = {
  mqttTopic: MqttTopic.nullable(),
  mqttFormat: MqttFormat.nullable(),
};

/** Minutes without a reading before a `silent` alert (API.md, Devices): 5 minutes to a week. */
const SilentAfterMinutes = z
  .number()
  .int('must be a whole number of minutes')
  .min(5, 'must be at least 5 (minutes)')
  .max(10080, 'must be at most 10080 (a week, in minutes)');

const DeviceFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000),
  address: z.string().max(500),
  maxHourlyKwh: MaxHourlyKwh,
  meterKind: MeterKind,
  timeZone: TimeZone,
  ownerId: Uuid.nullable(),
  ...MqttFields,
  tariff: Tariff.nullable(),
  silentAfterMinutes: SilentAfterMinutes.nullable(),
};

export const CreateDevice = z
  .object({
    ...DeviceFields,
    description: DeviceFields.description.default(''),
    address: DeviceFields.address.default(''),
    // Unset: `interval`, or `cumulative` for a vendor MQTT format (a register).
    meterKind: MeterKind.optional(),
    timeZone: TimeZone.optional(),
    ownerId: Uuid.nullable().default(null),
    mqttTopic: MqttFields.mqttTopic.default(null),
    mqttFormat: MqttFields.mqttFormat.default(null),
    tariff: Tariff.nullable().default(null),
    silentAfterMinutes: DeviceFields.silentAfterMinutes.default(null),
  })
  .strict()
  .openapi('CreateDevice');
export const UpdateDevice = z.object(DeviceFields).partial().strict().openapi('UpdateDevice');

/** A device's ingest token, shown once when issued. */
export const IngestToken = z
  .object({ id: Uuid, name: z.string(), token: z.string(), createdAt: IsoDateTime })
  .openapi('IngestToken');

/** A device ingest token as listed (the value is shown only once, at issue). */
export const IngestTokenInfo = z
  .object({ id: Uuid, name: z.string(), createdAt: IsoDateTime, lastUsedAt: IsoDateTime.nullable() })
  .openapi('IngestTokenInfo');

/** A personal access token as listed. */
export const TokenInfo = z
  .object({ id: Uuid, name: z.string(), createdAt: IsoDateTime, expiresAt: IsoDateTime.nullable() })
  .openapi('TokenInfo');

/** One entry of `GET /api/audit`. */
export const AuditEntry = z
  .object({
    id: Uuid,
    at: IsoDateTime,
    actor: z.object({ id: Uuid, username: z.string() }).nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEntry');

/** `GET /alerts?status=`. */
export const AlertStatus = z.enum(['open', 'acknowledged', 'all']);
export type AlertStatus = z.infer<typeof AlertStatus>;

/** `GET /api/fleet/summary` (admin): the fleet right now (docs/API.md, Fleet). */
export const FleetSummary = z
  .object({
    devices: z.number().int(),
    assigned: z.number().int(),
    reporting: z.number().int(),
    silent: z.number().int(),
    overLimitNow: z.number().int(),
    liveKwh: z.number(),
    todayKwh: z.number(),
    alertsLast24h: z.array(
      z.object({
        hourStart: IsoDateTime,
        exceeded: z.number().int(),
        projected: z.number().int(),
        silent: z.number().int(),
      }),
    ),
    top: z.array(
      z.object({ deviceId: Uuid, name: z.string(), todayKwh: z.number(), maxHourlyKwh: z.number() }),
    ),
  })
  .openapi('FleetSummary');
export type FleetSummary = z.infer<typeof FleetSummary>;

/** `POST /api/webhooks` (API.md, Webhooks). */
export const CreateWebhook = z
  .object({
    url: z
      .url()
      .max(2000)
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
    events: z.array(z.literal('alert')).min(1).max(1),
    description: z.string().trim().max(500).optional(),
  })
  .strict()
  .openapi('CreateWebhook');
export type CreateWebhook = z.infer<typeof CreateWebhook>;

/** A webhook endpoint as listed (the secret is shown only once, at creation). */
export const Webhook = z
  .object({
    id: Uuid,
    url: z.string(),
    events: z.array(z.literal('alert')),
    description: z.string(),
    createdAt: IsoDateTime,
  })
  .openapi('Webhook');
export type Webhook = z.infer<typeof Webhook>;

export const NewWebhook = Webhook.extend({ secret: z.string() }).openapi('NewWebhook');
export type NewWebhook = z.infer<typeof NewWebhook>;

/** One entry of `GET /api/webhooks/:id/deliveries`; `id` is the `webhook-id` header sent. */
export const WebhookDelivery = z
  .object({
    id: Uuid,
    event: z.enum(['alert.created', 'ping']),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    responseStatus: z.number().int().nullable(),
    createdAt: IsoDateTime,
    deliveredAt: IsoDateTime.nullable(),
  })
  .openapi('WebhookDelivery');
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
