/**
 * @module core/clients
 * Clients and their API keys: the model, client ids, and how keys are made and hashed.
 *
 * A key is `fry_` + 43 base64url characters (32 random bytes), shown once and stored only as
 * its SHA-256. A fast hash is enough here: slow hashes (bcrypt, scrypt, argon2) exist to make
 * guessing low-entropy *passwords* expensive, while a 256-bit random key cannot be guessed
 * however fast each guess is; an unsalted hash also lets the API find the key's record with one
 * GetItem, where a salted slow hash would need a scan and ~100 ms per request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isJobId } from './keys.ts';

/** Prefix of every key Ferry issues, so a leaked key is recognisable (e.g. by secret scanners). */
export const API_KEY_PREFIX = 'fry_';

/** Client ids: lowercase slug, also usable as a key prefix (`uploads/<clientId>/...`). */
const CLIENT_ID_PATTERN = /^[a-z][a-z0-9-]{1,39}$/;

/** Why a client id is refused, or undefined when it is a valid id. */
export function clientIdProblem(value: string): string | undefined {
  if (!CLIENT_ID_PATTERN.test(value)) {
    return 'must be 2..40 lowercase letters, digits or dashes, starting with a letter';
  }
  // API uploads live under uploads/<jobId>/: a client id must never look like one.
  if (isJobId(value)) return 'must not look like a job id';
  return undefined;
}

export function isClientId(value: string): boolean {
  return clientIdProblem(value) === undefined;
}

/** Per-client limits (see core/config.ts CLIENT_LIMITS for the defaults). */
export interface ClientLimits {
  requestsPerSec: number;
  burst: number;
  jobsPerDay: number;
}

export interface Client {
  clientId: string;
  name: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** Overrides of the deployment's default limits. */
  limits?: Partial<ClientLimits>;
}

/** An API key's record: never the key itself. */
export interface ApiKeyRecord {
  /** Public id of the key (first 16 hex digits of its hash), for listing and revoking. */
  keyId: string;
  clientId: string;
  createdAt: string;
  /** Set when revoked; a revoked key is refused from the next request on. */
  revokedAt?: string;
}

/** SHA-256 of a presented key, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The public id of a key, from its hash. */
export function keyIdOf(hash: string): string {
  return hash.slice(0, 16);
}

/** A new API key: `fry_` + base64url of 32 random bytes. */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}
