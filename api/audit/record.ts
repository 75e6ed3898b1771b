/**
 * The audit writer's old address, kept so modules outside this change
 * (devices/index.ts) keep compiling; the audit SQL lives in repo.ts alone.
 */
export { type AuditAction, type AuditEntry, type Runner, recordAudit } from './repo.ts';
