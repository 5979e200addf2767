/**
 * @module functions/api/auth
 * Bearer-key authentication against the clients table. The presented key is hashed and looked
 * up with one consistent read (core/client-store.ts); nothing is cached, so a revoked key is
 * refused from the next request on. Looking a key up by its SHA-256 leaks nothing through
 * timing: a guess that shares a prefix with a real key has an unrelated hash.
 */
import { ApiErrorCode } from '../../core/api/errors.ts';
import type { LimitDecision, Principal } from '../../core/client-store.ts';
import { ApiError } from './errors.ts';

/** What the API needs of the clients store; core/client-store.ts ClientStore implements it. */
export interface ClientDirectory {
  authenticate(presentedKey: string): Promise<Principal | undefined>;
  takeRequestToken(principal: Principal): Promise<LimitDecision>;
  countJob(principal: Principal): Promise<LimitDecision>;
}

/** Longest key looked up; longer values cannot be one of ours and are refused unhashed. */
const MAX_KEY_LENGTH = 256;

/**
 * Checks an `Authorization` header value and returns the caller. Throws ApiError 401 when no
 * bearer key is presented (with `WWW-Authenticate`), 403 when the key is unknown or revoked.
 */
export async function authenticate(header: string | undefined, clients: ClientDirectory): Promise<Principal> {
  const challenge = { 'WWW-Authenticate': 'Bearer realm="ferry"' };
  if (!header) {
    throw new ApiError(401, ApiErrorCode.Unauthorized, 'Send your API key as "Authorization: Bearer <key>"', {
      field: 'Authorization',
      headers: challenge,
    });
  }
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw new ApiError(401, ApiErrorCode.Unauthorized, 'The Authorization header must be "Bearer <key>"', {
      field: 'Authorization',
      headers: challenge,
    });
  }
  const principal = match[1].length <= MAX_KEY_LENGTH ? await clients.authenticate(match[1]) : undefined;
  if (!principal) {
    throw new ApiError(403, ApiErrorCode.Forbidden, 'The API key is not valid', { field: 'Authorization' });
  }
  return principal;
}
