/**
 * The structured logger of every process (pino, JSON lines on stdout).
 * Authorization headers, passwords and tokens are redacted wherever they
 * appear in a logged object.
 */
import pino from 'pino';

export function createLogger(level: string, name: string) {
  return pino({
    level,
    name,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'authorization',
        '*.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}
export type Logger = ReturnType<typeof createLogger>;
