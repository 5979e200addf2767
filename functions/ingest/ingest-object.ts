/**
 * @module functions/ingest/ingest-object
 * Turns one uploaded object into exactly one QUEUED job with one queue message.
 *
 * Idempotency, step by step (S3 delivers events at least once; Lambda retries after a crash):
 * 1. The job id comes from the object (API uploads carry it in the key; direct drops derive it
 *    from bucket, key and ETag/version), so a duplicate event addresses the same record.
 * 2. The record is created, or moved AWAITING_UPLOAD -> QUEUED, with a conditional write.
 * 3. If the record has no `messageId`, the right to send is claimed with a conditional write
 *    (`JobStore.claimSend`): of any number of concurrent duplicates exactly one wins and sends;
 *    the others return `duplicate` without sending. The winner records the message id. A direct
 *    drop's record is created holding the claim already (one write fewer): only the event whose
 *    conditional create made the record holds it, so duplicates still find the claim taken.
 *
 * What holds after a crash (at most one message per job, except in the last case):
 * - between 2 and 3 (record, no claim): the retry claims and sends. A direct drop's record
 *   holds its creator's claim, so this is the next case for it.
 * - after the claim, before the send: the claim goes stale after RECONCILE.sendClaimStaleSec
 *   (the function's timeout plus a margin); the retry or the reconciler then claims and sends.
 * - a send that fails gives the claim back, so the retry sends at once.
 * - between the send and its record (milliseconds): after the claim goes stale the reconciler
 *   sends a second message; the worker's conditional claim absorbs it (one run to completion).
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { RECONCILE, TASK_NAME_MAX_LENGTH } from '../../core/config.ts';
import { JobStateConflictError } from '../../core/errors.ts';
import { type Job, JobStatus } from '../../core/job.ts';
import { sendUnderClaim } from '../../core/job-queue.ts';
import type { JobStore } from '../../core/job-store.ts';
import { deriveJobId, jobIdFromUploadKey } from '../../core/keys.ts';
import { defaultTaskFor } from '../../core/media-types.ts';
import type { StoredObject } from './resolve-object.ts';

export interface IngestDeps {
  s3: S3Client;
  sqs: SQSClient;
  jobs: JobStore;
  queueUrl: string;
  /** The client owning a direct drop (owner.ts); without it direct drops have no owner. */
  ownerOf?: (key: string) => Promise<string | undefined>;
}

export type IngestOutcome =
  | { outcome: 'enqueued'; job: Job }
  /** A duplicate event: the job exists and its message was already sent. */
  | { outcome: 'duplicate'; job: Job }
  /** The job ended (e.g. canceled) before its upload was processed; nothing to run. */
  | { outcome: 'skipped'; job: Job };

export async function ingestObject(
  deps: IngestDeps,
  bucket: string,
  object: StoredObject,
): Promise<IngestOutcome> {
  const claimId = randomUUID();
  const { job, sendClaimed } = await recordQueuedJob(deps, bucket, object, claimId);
  if (job.status !== JobStatus.Queued) return { outcome: 'skipped', job };
  if (job.messageId) return { outcome: 'duplicate', job };
  if (!sendClaimed) {
    try {
      await deps.jobs.claimSend(job.jobId, claimId, RECONCILE.sendClaimStaleSec * 1000);
    } catch (error) {
      // A concurrent duplicate holds the right to send (or sent already): nothing for us to do.
      if (error instanceof JobStateConflictError) return { outcome: 'duplicate', job: error.current };
      throw error;
    }
  }
  return { outcome: 'enqueued', job: await sendUnderClaim(deps, job, claimId) };
}

/** Metadata a direct upload may carry to pick its task, e.g. `aws s3 cp --metadata ferry-task=ocr`. */
export const TASK_METADATA = 'ferry-task';

/** Metadata a direct upload may carry to set its run-time deadline in seconds, e.g. `ferry-timeout=120`. */
export const TIMEOUT_METADATA = 'ferry-timeout';

/** A positive number of seconds, or none (the task's or worker's default applies). */
function timeoutFor(object: StoredObject): number | undefined {
  const sec = Number(object.metadata[TIMEOUT_METADATA]);
  return Number.isFinite(sec) && sec > 0 ? sec : undefined;
}

/** An unknown name still makes a job, so the user sees it fail with a reason, not silence. */
function taskFor(object: StoredObject): string {
  return (
    object.metadata[TASK_METADATA]?.trim().slice(0, TASK_NAME_MAX_LENGTH) ||
    defaultTaskFor({ contentType: object.contentType, key: object.key })
  );
}

/**
 * The QUEUED job for this object: an API job waiting for this upload, or a new direct-drop job,
 * created holding the send claim `claimId` (`sendClaimed`).
 */
async function recordQueuedJob(
  deps: IngestDeps,
  bucket: string,
  object: StoredObject,
  claimId: string,
): Promise<{ job: Job; sendClaimed: boolean }> {
  const { jobs } = deps;
  const apiJobId = jobIdFromUploadKey(object.key);
  if (apiJobId) {
    const existing = await jobs.get(apiJobId);
    if (existing && existing.key === object.key && existing.bucket === bucket) {
      if (existing.status !== JobStatus.AwaitingUpload) return { job: existing, sendClaimed: false };
      try {
        const job = await jobs.markUploaded(apiJobId, object.key, {
          size: object.size,
          etag: object.etag,
          ...(object.contentType ? { contentType: object.contentType } : {}),
        });
        return { job, sendClaimed: false };
      } catch (error) {
        if (error instanceof JobStateConflictError) return { job: error.current, sendClaimed: false };
        throw error;
      }
    }
  }
  const clientId = await deps.ownerOf?.(object.key);
  const timeoutSec = timeoutFor(object);
  const { job, created } = await jobs.create(
    {
      jobId: deriveJobId({
        bucket,
        key: object.key,
        etag: object.etag,
        ...(object.versionId ? { versionId: object.versionId } : {}),
      }),
      status: JobStatus.Queued,
      task: taskFor(object),
      bucket,
      key: object.key,
      size: object.size,
      etag: object.etag,
      ...(object.contentType ? { contentType: object.contentType } : {}),
      ...(clientId ? { clientId } : {}),
      ...(timeoutSec ? { timeoutSec } : {}),
    },
    { sendClaimId: claimId },
  );
  return { job, sendClaimed: created };
}
