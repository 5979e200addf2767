/**
 * @module gpu-worker/retry
 * Retries of AWS calls with capped exponential backoff and full jitter, so a worker rides out an
 * endpoint that refuses or hangs for a while instead of failing jobs or exiting. Only errors that
 * another try can fix are retried: a failed condition (the job changed), a missing object or a
 * client error is returned to the caller at once. The SDK clients keep their own 3 attempts
 * underneath (core/aws.ts AwsClientConfig.maxAttempts says why both).
 */
import {
  InvalidInputError,
  JobNotFoundError,
  JobRejectedError,
  JobStateConflictError,
} from '../core/errors.ts';

export interface RetryOptions {
  /** First delay, in ms. @default 200 */
  baseMs?: number;
  /** Longest single delay, in ms. @default 5000 */
  capMs?: number;
  /** Stop retrying once this much time has passed since the first try, in ms. @default 120000 */
  maxElapsedMs?: number;
  /** Stops the waiting between tries (the last error is thrown). */
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

/** Full jitter ("Exponential Backoff and Jitter", AWS Architecture Blog): uniform in [0, min(cap, base * 2^n)). */
export function backoffDelayMs(attempt: number, baseMs = 200, capMs = 5000, random = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20)));
}

/**
 * True for failures of the network or the service that may pass: connection refused or reset,
 * timeouts, throttling, 5xx. False for domain errors and 4xx answers.
 */
export function isTransient(error: unknown): boolean {
  if (
    error instanceof JobStateConflictError ||
    error instanceof JobNotFoundError ||
    error instanceof InvalidInputError ||
    error instanceof JobRejectedError
  ) {
    return false;
  }
  const e = error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; name?: string };
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined) return true; // no answer at all: the network or a timeout
  return status >= 500 || status === 429 || Boolean(e.$retryable) || /Throttl/.test(e.name ?? '');
}

/** Runs `fn` until it succeeds, throws a non-transient error, or the retry budget is spent. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { baseMs = 200, capMs = 5000, maxElapsedMs = 120_000, signal, onRetry } = options;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const delayMs = backoffDelayMs(attempt, baseMs, capMs);
      if (!isTransient(error) || signal?.aborted || Date.now() - started + delayMs > maxElapsedMs)
        throw error;
      onRetry?.(error, attempt + 1, delayMs);
      await sleep(delayMs, signal);
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
