/**
 * @module gpu-worker/logger
 * Structured JSON logs (pino). Every job line carries jobId and key.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'ferry-worker' } });
}
