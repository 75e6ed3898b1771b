/**
 * Typed calls for every REST resource of API.md. Shapes come from the server's
 * zod contract (type-only import: no zod in the bundle); this file only knows
 * paths, verbs and query names.
 */
import type {
  Alert,
  ChatMessage,
  Consumption,
  Conversation,
  Device,
  List,
  LoginResponse,
  MeterKind,
  Role,
  User,
} from '../../../api/contract.ts';
import { request } from './http.ts';

export interface NewUser {
  username: string;
  password: string;
  name: string;
  email?: string | null;
  role: Role;
}
export type UserPatch = Partial<Omit<NewUser, 'username'>> & { username?: string };

export interface NewDevice {
  name: string;
  description?: string;
  address?: string;
  maxHourlyKwh: number;
  meterKind: MeterKind;
  timeZone?: string;
  ownerId?: string | null;
}
export type DevicePatch = Partial<NewDevice>;

export interface IssuedToken {
  id: string;
  name: string;
  token: string;
  createdAt: string;
}

/** A device ingest token as listed (the value is shown only once, at issue). */
export interface IngestTokenInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A personal access token as listed. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: { id: string; username: string } | null;
  action: string;
  targetType: string;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export type AlertStatus = 'open' | 'acknowledged' | 'all';

export const authApi = {
  login: (username: string, password: string) =>
    request<LoginResponse>('POST', '/auth/login', { body: { username, password }, skipAuthHandling: true }),
  me: () => request<User>('GET', '/auth/me'),
  updateMe: (patch: { name?: string; email?: string | null }) =>
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

export const alertsApi = {
  list: (status: AlertStatus, query: { deviceId?: string; limit?: number } = {}) =>
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
