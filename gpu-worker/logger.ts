/**
 * @module gpu-worker/logger
 * Structured JSON logs (pino) in Ferry's one logging shape (core/log.ts: message first, then
 * fields). Every job line carries jobId and key; errors go under `error`, as in
 * the functions' Powertools lines, through pino's error serializer.
 */
import { pino } from 'pino';
import type { Log, LogFields } from '../core/log.ts';

export type Logger = Log;

/** Wraps a pino logger in the core/log.ts shape. */
export function pinoLog(p: pino.Logger): Log {
  return {
    debug: (message, fields?: LogFields) => p.debug(fields ?? {}, message),
    info: (message, fields?: LogFields) => p.info(fields ?? {}, message),
    warn: (message, fields?: LogFields) => p.warn(fields ?? {}, message),
    error: (message, fields?: LogFields) => p.error(fields ?? {}, message),
    child: (fields) => pinoLog(p.child(fields)),
  };
}

/** The worker's logger; `destination` is for tests (default: stdout). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'ferry-worker' },
    serializers: { error: pino.stdSerializers.err },
  };
  return pinoLog(destination ? pino(options, destination) : pino(options));
}
