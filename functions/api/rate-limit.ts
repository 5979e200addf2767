/**
 * @module functions/api/rate-limit
 * Per-client limits (core/client-store.ts): a token bucket on every request (requests per
 * second, with a burst) and a daily quota of new jobs. Both live in DynamoDB, so every Lambda
 * instance and the local API share them. Exceeding either is a 429 with `Retry-After`.
 */
import { ApiErrorCode } from '../../core/api/errors.ts';
import type { LimitDecision, Principal } from '../../core/client-store.ts';
import type { ClientDirectory } from './auth.ts';
import { ApiError } from './errors.ts';

function refuse(decision: Exclude<LimitDecision, { allowed: true }>): ApiError {
  return new ApiError(429, ApiErrorCode.RateLimited, `Too many requests: ${decision.reason}`, {
    headers: { 'Retry-After': String(decision.retryAfterSec) },
    extra: { retryAfterSec: decision.retryAfterSec },
  });
}

/** Throws 429 when the client's request bucket is empty. */
export async function limitRequest(clients: ClientDirectory, principal: Principal): Promise<void> {
  const decision = await clients.takeRequestToken(principal);
  if (!decision.allowed) throw refuse(decision);
}

/** Throws 429 when the client has created its daily quota of jobs. */
export async function limitNewJob(clients: ClientDirectory, principal: Principal): Promise<void> {
  const decision = await clients.countJob(principal);
  if (!decision.allowed) throw refuse(decision);
}
