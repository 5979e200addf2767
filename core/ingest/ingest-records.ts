/**
 * @module core/ingest/ingest-records
 * Runs the records of one S3 event through ingest: the ingest function does it for each event S3
 * sends, the replay (replay.ts) for each event the function gave up on. Records are independent:
 * one failing does not stop the others, and the caller learns which failed.
 */
import type { S3EventRecord } from 'aws-lambda';
import { isFolderPlaceholder, isUploadKey } from '../keys.ts';
import type { Log } from '../log.ts';
import { type IngestDeps, ingestObject } from './ingest-object.ts';
import { resolveObject } from './resolve-object.ts';

/** An S3 notification, or the test event S3 sends (without Records) when one is configured. */
export type S3EventOrTest = { Records?: S3EventRecord[]; Event?: string };

export interface IngestRecordsResult {
  /** Records naming an upload (the others are skipped at once). */
  tried: number;
  ingested: number;
  /** Records naming nothing to ingest: not an upload, or an object gone since the event. */
  skipped: number;
  failures: Array<{ key: string; error: unknown }>;
}

/** The lines ingest writes; Powertools' Logger and the worker's logger both are one. */
export type IngestLog = Pick<Log, 'info' | 'warn'>;

export async function ingestRecords(
  deps: IngestDeps,
  event: S3EventOrTest,
  log: IngestLog,
): Promise<IngestRecordsResult> {
  const all = event.Records ?? [];
  const records = all.filter(isIngestible);
  const results = await Promise.allSettled(records.map((record) => ingestRecord(deps, record, log)));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [{ key: records[i]?.s3.object.key ?? '', error: r.reason as unknown }] : [],
  );
  const ingested = results.filter((r) => r.status === 'fulfilled' && r.value).length;
  return { tried: records.length, ingested, skipped: all.length - ingested - failures.length, failures };
}

function isIngestible(record: S3EventRecord): boolean {
  return (
    record.eventName?.startsWith('ObjectCreated') === true &&
    isUploadKey(record.s3.object.key) &&
    !isFolderPlaceholder(record.s3.object.key)
  );
}

/** Returns false when the object no longer exists (deleted before ingest: nothing to do). */
async function ingestRecord(deps: IngestDeps, record: S3EventRecord, log: IngestLog): Promise<boolean> {
  const bucket = record.s3.bucket.name;
  const object = await resolveObject(deps.s3, bucket, record.s3.object.key, record.s3.object.eTag);
  if (!object) {
    log.warn('object not found, skipping', { bucket, key: record.s3.object.key });
    return false;
  }
  const result = await ingestObject(deps, bucket, object);
  const fields = { jobId: result.job.jobId, key: object.key, status: result.job.status };
  if (result.outcome === 'refused') log.warn('upload refused', { ...fields, error: result.job.error });
  else log.info(`job ${result.outcome}`, fields);
  return true;
}
