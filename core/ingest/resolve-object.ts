/**
 * @module core/ingest/resolve-object
 * Finds the object an S3 event names. AWS form-encodes event keys and emulators may not, and a
 * key may legitimately contain "+" or "%", so each decoding is checked with HeadObject. The
 * event's ETag must match: an object overwritten since the event is left to its own, newer event.
 */
import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import { eventKeyCandidates, normaliseEtag } from '../keys.ts';

export interface StoredObject {
  key: string;
  size: number;
  etag: string;
  contentType?: string;
  versionId?: string;
  /** User metadata (`x-amz-meta-*`), lower-case names without the prefix. */
  metadata: Record<string, string>;
}

/**
 * The stored object for an event key, or undefined when none of its decodings holds the event's
 * content any more (deleted or overwritten since). Without an event ETag, the first that exists.
 */
export async function resolveObject(
  s3: S3Client,
  bucket: string,
  eventKey: string,
  eventEtag: string | undefined,
): Promise<StoredObject | undefined> {
  for (const key of eventKeyCandidates(eventKey)) {
    const head = await headObject(s3, bucket, key);
    if (head && (!eventEtag || head.etag === normaliseEtag(eventEtag))) return head;
  }
  return undefined;
}

async function headObject(s3: S3Client, bucket: string, key: string): Promise<StoredObject | undefined> {
  try {
    const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return {
      key,
      size: out.ContentLength ?? 0,
      etag: normaliseEtag(out.ETag ?? ''),
      ...(out.ContentType ? { contentType: out.ContentType } : {}),
      ...(out.VersionId && out.VersionId !== 'null' ? { versionId: out.VersionId } : {}),
      metadata: out.Metadata ?? {},
    };
  } catch (error) {
    if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return undefined;
    throw error;
  }
}
