// A `Logger` that redacts a run's secrets from every field and message before they reach the real one.
import type { Logger } from '@petrel/protocol';
import type { SecretRedactor } from './secret-redactor.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Wraps `logger` so nothing it writes contains a secret registered in `redactor` (children too). */
export function createRedactingLogger(logger: Logger, redactor: SecretRedactor): Logger {
  // Called as methods: pino's need their `this`.
  const write = (level: Level, fields: Record<string, unknown>, message?: string): void => {
    const clean = redactor.redactJson(fields);
    if (message === undefined) logger[level](clean);
    else logger[level](clean, redactor.redact(message));
  };
  return {
    debug: (fields, message) => write('debug', fields, message),
    info: (fields, message) => write('info', fields, message),
    warn: (fields, message) => write('warn', fields, message),
    error: (fields, message) => write('error', fields, message),
    child: (fields) => createRedactingLogger(logger.child(redactor.redactJson(fields)), redactor),
  };
}
