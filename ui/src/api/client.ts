/**
 * Typed calls for every REST resource of docs/API.md. Shapes come from the server's
 * zod contract (type-only import: no zod in the bundle); this file only knows
 * paths, verbs and query names.
 */
import type { z } from 'zod';
import type {
  Alert,
  AlertStatus,
  AuditEntry as AuditEntrySchema,
  ChatMessage,
  Consumption,
  Conversation,
  CreateDevice,
  CreateUser,
  CreateWebhook,
  Device,
  FleetSummary,
  IngestToken,
  IngestTokenInfo as IngestTokenInfoSchema,
  List,
  LoginResponse,
  NewWebhook,
  Role,
  TokenInfo as TokenInfoSchema,
  UpdateDevice,
  UpdateUser,
  User,
  Webhook,
  WebhookDelivery,
} from '../../../api/contract.ts';
import { request } from './http.ts';

// Request bodies as the server accepts them (before its defaults apply), responses as it sends them.
export type NewUser = z.input<typeof CreateUser>;
export type UserPatch = z.input<typeof UpdateUser>;
export type NewDevice = z.input<typeof CreateDevice>;
export type DevicePatch = z.input<typeof UpdateDevice>;
export type IssuedToken = z.output<typeof IngestToken>;
export type { AlertStatus };
export type IngestTokenInfo = z.output<typeof IngestTokenInfoSchema>;
export type TokenInfo = z.output<typeof TokenInfoSchema>;
export type AuditEntry = z.output<typeof AuditEntrySchema>;

export const authApi = {
  login: (username: string, password: string) =>
    request<LoginResponse>('POST', '/auth/login', { body: { username, password }, skipAuthHandling: true }),
  me: () => request<User>('GET', '/auth/me'),
  updateMe: (patch: { name?: string; email?: string | null; notifyByEmail?: boolean }) =>
    request<User>('PATCH', '/auth/me', { body: patch }),
  /** Ends this login token on the server; a 401 (already ended) is not an error here. */
  logout: () => request<void>('POST', '/auth/logout', { body: {}, skipAuthHandling: true }),
  changePassword: (currentPassword: string, newPassword: string) =>
    request<void>('POST', '/auth/password', { body: { currentPassword, newPassword } }),
};

export const usersApi = {
  list: (query: { q?: string; role?: Role; limit?: number; offset?: number } = {}) =>
    request<List<User>>('GET', '/users', { query }),
  get: (id: string) => request<User>('GET', `/users/${id}`),
  create: (user: NewUser) => request<User>('POST', '/users', { body: user }),
  update: (id: string, patch: UserPatch) => request<User>('PATCH', `/users/${id}`, { body: patch }),
  remove: (id: string) => request<void>('DELETE', `/users/${id}`),
  revokeSessions: (id: string) => request<void>('POST', `/users/${id}/sessions/revoke`, { body: {} }),
  tokens: (id: string) => request<List<TokenInfo>>('GET', `/users/${id}/tokens`, { query: { limit: 500 } }),
};

export const devicesApi = {
  list: (
    query: { q?: string; ownerId?: string; unassigned?: boolean; limit?: number; offset?: number } = {},
  ) => request<List<Device>>('GET', '/devices', { query: { limit: 500, ...query } }),
  get: (id: string) => request<Device>('GET', `/devices/${id}`),
  create: (device: NewDevice) => request<Device>('POST', '/devices', { body: device }),
  update: (id: string, patch: DevicePatch) => request<Device>('PATCH', `/devices/${id}`, { body: patch }),
  remove: (id: string) => request<void>('DELETE', `/devices/${id}`),
  issueToken: (id: string, name?: string) =>
    request<IssuedToken>('POST', `/devices/${id}/tokens`, { body: name ? { name } : {} }),
  tokens: (id: string) =>
    request<List<IngestTokenInfo>>('GET', `/devices/${id}/tokens`, { query: { limit: 500 } }),
  revokeToken: (id: string, tokenId: string) => request<void>('DELETE', `/devices/${id}/tokens/${tokenId}`),
};

export const auditApi = {
  list: (query: { actorId?: string; action?: string; limit?: number; offset?: number } = {}) =>
    request<List<AuditEntry>>('GET', '/audit', { query }),
};

export const consumptionApi = {
  day: (deviceId: string, date: string) =>
    request<Consumption>('GET', `/devices/${deviceId}/consumption`, { query: { date } }),
  range: (deviceId: string, from: string, to: string, interval: 'hour' | 'day') =>
    request<Consumption>('GET', `/devices/${deviceId}/consumption`, { query: { from, to, interval } }),
};

export const fleetApi = {
  summary: () => request<FleetSummary>('GET', '/fleet/summary'),
};

export const alertsApi = {
  list: (status: AlertStatus, query: { deviceId?: string; since?: string; limit?: number } = {}) =>
    request<List<Alert>>('GET', '/alerts', { query: { status, ...query } }),
  ack: (id: string) => request<Alert>('POST', `/alerts/${id}/ack`, { body: {} }),
};

export const chatApi = {
  conversations: () => request<List<Conversation>>('GET', '/chat/conversations', { query: { limit: 500 } }),
  messages: (clientId: string, query: { before?: string; limit?: number } = {}) =>
    request<List<ChatMessage>>('GET', `/chat/conversations/${clientId}/messages`, { query }),
  send: (clientId: string, body: string, toAssistant = false) =>
    request<ChatMessage>('POST', `/chat/conversations/${clientId}/messages`, { body: { body, toAssistant } }),
  read: (clientId: string, upTo: string) =>
    request<void>('POST', `/chat/conversations/${clientId}/read`, { body: { upTo } }),
};

export type { NewWebhook, Webhook, WebhookDelivery };

/** Webhook endpoints of the signed-in user (docs/API.md, Webhooks). */
export const webhooksApi = {
  list: (query: { q?: string; limit?: number; offset?: number } = {}) =>
    request<List<Webhook>>('GET', '/webhooks', { query }),
  create: (body: z.input<typeof CreateWebhook>) => request<NewWebhook>('POST', '/webhooks', { body }),
  remove: (id: string) => request<void>('DELETE', `/webhooks/${id}`),
  test: (id: string) => request<void>('POST', `/webhooks/${id}/test`, { body: {} }),
  deliveries: (id: string, query: { limit?: number; offset?: number } = {}) =>
    request<List<WebhookDelivery>>('GET', `/webhooks/${id}/deliveries`, { query }),
};
