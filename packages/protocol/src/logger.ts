// The logging port: pino-style calls, object first and message second. Library packages take a
// `Logger` and default to `silentLogger`; the server and CLI pass a real one.

/** A structured log call: fields first, then a message. */
export type LogFn = (fields: Record<string, unknown>, message?: string) => void;

/** A structured logger (pino's shape, so a pino instance fits). */
export type Logger = {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `fields` to every line. */
  child: (fields: Record<string, unknown>) => Logger;
};

const noop: LogFn = () => {};

/** A logger that writes nothing. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };
