/**
 * @module core/log
 * The one logging shape in Ferry: the message first, then the structured fields, as Powertools
 * Logger takes them (the functions log with Powertools, whose order this is; the worker logs
 * with pino behind gpu-worker/logger.ts, which turns the call around for pino). One order means
 * a call site reads the same in both halves, and the compiler refuses the other order: the
 * message must be a string.
 */
export type LogFields = Record<string, unknown>;

export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Log;
}
