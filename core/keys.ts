/**
 * @module core/keys
 * The bucket's key layout and job identity: where uploads and results live, how S3 event keys
 * are decoded, and how a job id is derived from an object so duplicate events map to one job.
 */
import { createHash, randomUUID } from 'node:crypto';
import { KEY_PREFIX } from './config.ts';

const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isJobId(value: string): boolean {
  return JOB_ID_PATTERN.test(value);
}

/** A fresh id for a job the API creates before its upload exists. */
export function newJobId(): string {
  return randomUUID();
}

/** The identity of one stored object version; the same upload always yields the same job id. */
export interface ObjectIdentity {
  bucket: string;
  key: string;
  /** Used when the bucket is versioned: each version is its own job. */
  versionId?: string;
  /** Used otherwise: new content under the same key is a new job, a duplicate event is not. */
  etag?: string;
}

/** Deterministic job id for an object dropped straight into `uploads/`, in UUID form. */
export function deriveJobId(object: ObjectIdentity): string {
  const version = object.versionId ? `v:${object.versionId}` : `e:${normaliseEtag(object.etag ?? '')}`;
  const hex = createHash('sha256').update(`${object.bucket}\0${object.key}\0${version}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** ETags come quoted from S3 APIs and unquoted in events; compare them without quotes. */
export function normaliseEtag(etag: string): string {
  return etag.replace(/^"+|"+$/g, '');
}

export function isUploadKey(key: string): boolean {
  return key.startsWith(KEY_PREFIX.uploads) && key.length > KEY_PREFIX.uploads.length;
}

/** Keys ending in "/" are folder placeholders created by consoles, not files. */
export function isFolderPlaceholder(key: string): boolean {
  return key.endsWith('/');
}

export function resultKey(jobId: string): string {
  return `${KEY_PREFIX.results}${jobId}.json`;
}

/** A further result object of a job, e.g. `results/<jobId>.vtt` for suffix ".vtt". */
export function resultFileKey(jobId: string, suffix: string): string {
  return `${KEY_PREFIX.results}${jobId}${suffix}`;
}

/** A resumable job's checkpoint: under `results/<jobId>/`, so results' lifecycle rules cover it. */
export function checkpointKey(jobId: string): string {
  return `${KEY_PREFIX.results}${jobId}/checkpoint.json`;
}

/**
 * Makes a user's filename safe as the last segment of a key: no path separators, no control
 * characters, no leading dots, at most 200 bytes, never empty.
 */
export function sanitiseFilename(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  let clean = base
    .normalize('NFC')
    .replace(/\p{Cc}/gu, '')
    .replace(/[^\p{L}\p{N}._ -]/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  // Whole code points only: cutting a UTF-16 unit could leave half a surrogate pair, which is
  // not valid Unicode and makes URL encoding of the key throw.
  const points = Array.from(clean);
  while (Buffer.byteLength(clean) > 200) {
    points.pop();
    clean = points.join('');
  }
  return clean || 'upload';
}

/** Key for an upload the API presigns: `uploads/<jobId>/<sanitised filename>`. */
export function apiUploadKey(jobId: string, filename: string): string {
  return `${KEY_PREFIX.uploads}${jobId}/${sanitiseFilename(filename)}`;
}

/** The job id embedded in an API upload key, if the key has that shape. */
export function jobIdFromUploadKey(key: string): string | undefined {
  if (!key.startsWith(KEY_PREFIX.uploads)) return undefined;
  const [candidate, ...rest] = key.slice(KEY_PREFIX.uploads.length).split('/');
  return candidate && rest.length === 1 && rest[0] && isJobId(candidate) ? candidate : undefined;
}

/**
 * Possible object keys for a key as it arrived in an S3 event, most likely first.
 * AWS form-encodes event keys (space as "+", others as %XX); some emulators send them raw.
 * A key may legitimately contain "+" or "%", so the caller checks which candidate exists.
 */
export function eventKeyCandidates(eventKey: string): string[] {
  const candidates: string[] = [];
  try {
    candidates.push(decodeURIComponent(eventKey.replace(/\+/g, ' ')));
  } catch {
    // Not valid form-encoding (e.g. a raw "%" from an emulator): only the raw key is possible.
  }
  if (!candidates.includes(eventKey)) candidates.push(eventKey);
  return candidates;
}
