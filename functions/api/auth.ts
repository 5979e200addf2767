/**
 * @module functions/api/auth
 * Bearer-key authentication. Keys are compared as SHA-256 digests with `timingSafeEqual`, and
 * every configured key is compared on every request, so neither a key's length nor its
 * position in FERRY_API_KEYS, nor how many leading characters a guess got right, shows in the
 * response time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError, ApiErrorCode } from './errors.ts';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Returns a matcher that tells whether a presented key is one of `keys`, in constant time. */
export function createKeyMatcher(keys: readonly string[]): (presented: string) => boolean {
  const digests = keys.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let matched = false;
    for (const known of digests) {
      // No early exit: the loop costs the same whichever key (if any) matches.
      matched = timingSafeEqual(candidate, known) || matched;
    }
    return matched;
  };
}

/**
 * Checks an `Authorization` header value. Throws ApiError 401 when no bearer key is presented
 * (with `WWW-Authenticate`), 403 when the key is not accepted.
 */
export function authenticate(header: string | undefined, matches: (presented: string) => boolean): void {
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
  if (!matches(match[1])) {
    throw new ApiError(403, ApiErrorCode.Forbidden, 'The API key is not valid', { field: 'Authorization' });
  }
}
