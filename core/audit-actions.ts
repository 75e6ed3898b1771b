/**
 * Every action the audit log records: the api writes only these
 * (api/audit/repo.ts), and the dashboard's audit page offers them as filters.
 */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.password_change',
  'user.create',
  'user.update',
  'user.delete',
  'user.sessions_revoke',
  'device.create',
  'device.update',
  'device.delete',
  'device_token.create',
  'device_token.revoke',
  'webhook.create',
  'webhook.delete',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
