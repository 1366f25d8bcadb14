// JSON logs with pino. The server logs one line per request (request id, method, path, status,
// duration) and never logs headers or bodies; redaction paths are a second line of defence for
// fields that could carry a key or a password if someone logs an object carelessly.
import pino from 'pino';
import type { Logger } from '@petrel/protocol';
import type { LogLevel } from '../config/server-config.ts';

/** Field paths whose values are replaced by `[Redacted]` in every log line. */
export const REDACT_PATHS: readonly string[] = [
  'headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers.cookie',
  'api_key',
  'apiKey',
  'password',
  'secret',
  'secret_value',
  'totp',
  'card_number',
  'card_cvv',
  'masterKey',
  '*.api_key',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.secret_value',
  '*.totp',
  '*.card_number',
  '*.card_cvv',
  '*.masterKey',
];

/** Options of `createServerLogger`. */
export type ServerLoggerOptions = {
  /** Level. Default `info`. */
  level?: LogLevel;
  /** Where lines go: a writable stream. Default stdout. */
  destination?: NodeJS.WritableStream;
};

/** A pino logger that fits the `Logger` port, with the server's redaction paths. */
export function createServerLogger(options: ServerLoggerOptions = {}): Logger {
  const instance = pino(
    {
      level: options.level ?? 'info',
      base: { service: 'petrel' },
      redact: { paths: [...REDACT_PATHS], censor: '[Redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
  return instance;
}
