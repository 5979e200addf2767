/**
 * @module core/ingest/upload-sweep
 * The backstop for S3 events that never arrived (S3 delivers events at least once, but neither
 * in order nor in time): finds `uploads/` objects that have no job and ingests them.
 *
 * Keys are random or arbitrary, so a key-order watermark would skip orphans; the sweep asks each
 * object's own job instead. An object's job id follows from the object alone (the key for an
 * API upload, bucket + key + ETag for a direct drop: core/keys.ts), so one BatchGetItem per 100
 * objects tells which have one. An object is an orphan when no job exists for it, or its API job
 * still waits in AWAITING_UPLOAD although the object is there. Orphans go through ingest as an
 * event would (idempotent: a job its event makes meanwhile is found, not doubled).
 *
 * Only objects aged between `minAgeSec` (younger ones are left to their own event, which may be
 * on its way) and `maxAgeSec` are looked at. The upper bound sits far below the job record's
 * retention, so an input whose job ended and expired, while the upload is kept longer, never
 * runs again.
 *
 * Cost: the listing reads every object under uploads/ (ListObjectsV2 has no date filter): one
 * LIST request per 1,000 stored uploads per sweep, $0.005 per 1,000 requests, so $0.005 per
 * sweep per million stored uploads; plus one half read unit per object in the age window (about
 * $0.06 per sweep per million objects in it, on demand) and a HeadObject per orphan. Where the
 * bucket holds many millions of uploads, a longer period (FERRY_UPLOAD_SWEEP_SEC), or S3
 * Inventory in place of the listing, keeps it cheap.
 */
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { KEY_PREFIX } from '../config.ts';
import { JobStatus } from '../job.ts';
import { deriveJobId, isFolderPlaceholder, jobIdFromUploadKey, normaliseEtag } from '../keys.ts';
import { type IngestDeps, ingestObject } from './ingest-object.ts';
import type { IngestLog } from './ingest-records.ts';
import { resolveObject } from './resolve-object.ts';

export interface UploadSweepOptions {
  bucket: string;
  minAgeSec: number;
  maxAgeSec: number;
  now?: Date;
}

export interface UploadSweepReport {
  /** Objects listed under uploads/. */
  listed: number;
  /** Objects in the age window whose job was looked up. */
  checked: number;
  /** Orphans found and ingested: each is an upload that would have been lost. */
  orphans: number;
  /** Orphans whose ingest failed; the next sweep tries again. */
  failed: number;
}

interface Candidate {
  key: string;
  etag: string;
  /** The API job the key names, if it has the shape of an API upload key. */
  apiJobId?: string;
  directJobId: string;
}

export async function sweepUploads(
  deps: IngestDeps,
  options: UploadSweepOptions,
  log: IngestLog,
): Promise<UploadSweepReport> {
  const now = (options.now ?? new Date()).getTime();
  const newest = now - options.minAgeSec * 1000;
  const oldest = now - options.maxAgeSec * 1000;
  const report: UploadSweepReport = { listed: 0, checked: 0, orphans: 0, failed: 0 };
  const pages = paginateListObjectsV2(
    { client: deps.s3, pageSize: 1000 },
    { Bucket: options.bucket, Prefix: KEY_PREFIX.uploads },
  );
  for await (const page of pages) {
    const candidates: Candidate[] = [];
    for (const object of page.Contents ?? []) {
      report.listed += 1;
      const modified = object.LastModified?.getTime() ?? 0;
      if (!object.Key || !object.ETag || isFolderPlaceholder(object.Key)) continue;
      if (modified > newest || modified < oldest) continue;
      const etag = normaliseEtag(object.ETag);
      const apiJobId = jobIdFromUploadKey(object.Key);
      candidates.push({
        key: object.Key,
        etag,
        ...(apiJobId ? { apiJobId } : {}),
        directJobId: deriveJobId({ bucket: options.bucket, key: object.Key, etag }),
      });
    }
    report.checked += candidates.length;
    const orphans = await orphansAmong(deps, options.bucket, candidates);
    for (const orphan of orphans) {
      try {
        // HeadObject brings the metadata (task, timeout) the listing lacks; ETag-checked.
        const object = await resolveObject(deps.s3, options.bucket, orphan.key, orphan.etag);
        if (!object) continue;
        const result = await ingestObject(deps, options.bucket, object);
        if (result.outcome !== 'enqueued') continue;
        report.orphans += 1;
        log.warn('orphaned upload ingested: its S3 event never arrived', {
          key: orphan.key,
          jobId: result.job.jobId,
        });
      } catch (error) {
        report.failed += 1;
        log.warn('orphaned upload failed to ingest; the next sweep tries again', { key: orphan.key, error });
      }
    }
  }
  return report;
}

/** The candidates with no job, or whose API job still waits for the upload that is there. */
async function orphansAmong(deps: IngestDeps, bucket: string, candidates: Candidate[]): Promise<Candidate[]> {
  if (candidates.length === 0) return [];
  const ids = candidates.flatMap((c) => (c.apiJobId ? [c.apiJobId, c.directJobId] : [c.directJobId]));
  const jobs = await deps.jobs.statuses(ids);
  return candidates.filter((c) => {
    const api = c.apiJobId ? jobs.get(c.apiJobId) : undefined;
    if (api && api.key === c.key && api.bucket === bucket) return api.status === JobStatus.AwaitingUpload;
    // A versioned bucket's direct drops carry the version in their id (deriveJobId), which the
    // listing lacks: those reach ingest, whose conditional create finds the job and sends nothing.
    return !jobs.has(c.directJobId);
  });
}
