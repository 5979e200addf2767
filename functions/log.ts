/**
 * @module functions/log
 * A function's logger in Ferry's one logging shape (core/log.ts), over Powertools Logger: the
 * code shared with the worker (core/ingest/, core/reconcile.ts) logs through `Log` and reads the
 * same in both halves.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Log, LogFields } from '../core/log.ts';

/** Wraps a Powertools Logger; `fields` become the line's keys, as in the worker's pino lines. */
export function powertoolsLog(logger: Logger): Log {
  return {
    debug: (message: string, fields: LogFields = {}) => logger.debug(message, fields),
    info: (message: string, fields: LogFields = {}) => logger.info(message, fields),
    warn: (message: string, fields: LogFields = {}) => logger.warn(message, fields),
    error: (message: string, fields: LogFields = {}) => logger.error(message, fields),
    child: (fields: LogFields) => powertoolsLog(logger.createChild({ persistentKeys: fields })),
  };
}

/** The function's logger, named `ferry-<name>` in every line. */
export function functionLog(name: string): Log {
  return powertoolsLog(new Logger({ serviceName: `ferry-${name}` }));
}
