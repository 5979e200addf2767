/**
 * @module core/ingest/ingest-object
 * Turns one uploaded object into exactly one QUEUED job with one queue message.
 *
 * Idempotency, step by step (S3 delivers events at least once; Lambda retries after a crash):
 * 1. The job id comes from the object (API uploads carry it in the key; direct drops derive it
 *    from bucket, key and ETag/version), so a duplicate event addresses the same record.
 * 2. The record is created, or moved AWAITING_UPLOAD -> QUEUED, with a conditional write that
 *    also takes the right to send the job's message: only the event whose write made the record
 *    QUEUED holds it, so concurrent duplicates find it taken.
 * 3. A duplicate that finds the record QUEUED without a `messageId` claims the right to send with
 *    a conditional write (`JobStore.claimSend`), which succeeds only once the holder's claim went
 *    stale (it died). Of any number of concurrent claimants exactly one wins and sends; the
 *    others return `duplicate` without sending. The sender records the message id.
 *
 * An ingest is four requests: HeadObject, one conditional write, SendMessage, and the write that
 * records the message id (plus a clients-table read for a drop under `uploads/<clientId>/`).
 *
 * An API upload must be the size its job declared (core/upload-size.ts): the signed URLs bind
 * it only where S3 checks signatures, so the conditional write checks what arrived. An object of
 * another size is refused: the job fails INVALID_INPUT, no message is sent and the object is
 * deleted (the job is failed first, so a retry after a crash finds it FAILED and deletes again).
 *
 * What holds after a crash (at most one message per job, except in the last case):
 * - after the claim, before the send: the claim goes stale after RECONCILE.sendClaimStaleSec
 *   (the function's timeout plus a margin); the retry or the reconciler then claims and sends.
 * - a send that fails gives the claim back, so the retry sends at once.
 * - between the send and its record (milliseconds): after the claim goes stale the reconciler
 *   sends a second message; the worker's conditional claim absorbs it (one run to completion).
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { RECONCILE, TASK_NAME_MAX_LENGTH } from '../config.ts';
import { JobNotFoundError, JobStateConflictError } from '../errors.ts';
import { type Job, JobErrorCode, JobStatus } from '../job.ts';
import { sendUnderClaim } from '../job-queue.ts';
import type { JobStore } from '../job-store.ts';
import { deriveJobId, jobIdFromUploadKey } from '../keys.ts';
import { defaultTaskFor } from '../tasks.ts';
import { sizeMismatch } from '../upload-size.ts';
import type { OwnerOf } from './owner.ts';
import type { StoredObject } from './resolve-object.ts';

export interface IngestDeps {
  s3: S3Client;
  sqs: SQSClient;
  jobs: JobStore;
  queueUrl: string;
  /** The client owning a direct drop (owner.ts); without it direct drops have no owner. */
  ownerOf?: OwnerOf;
}

export type IngestOutcome =
  | { outcome: 'enqueued'; job: Job }
  /** A duplicate event: the job exists and its message was already sent. */
  | { outcome: 'duplicate'; job: Job }
  /** The job ended (e.g. canceled) before its upload was processed; nothing to run. */
  | { outcome: 'skipped'; job: Job }
  /** An API upload of another size than declared: its job FAILED INVALID_INPUT, the object deleted. */
  | { outcome: 'refused'; job: Job };

export async function ingestObject(
  deps: IngestDeps,
  bucket: string,
  object: StoredObject,
): Promise<IngestOutcome> {
  const claimId = randomUUID();
  const recorded = await recordQueuedJob(deps, bucket, object, claimId);
  if ('refused' in recorded) return refuseObject(deps, bucket, object, recorded.job, recorded.refused);
  const { job, sendClaimed } = recorded;
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

/** Job and object of an API upload that is not its declared size (`mismatch` says how). */
async function refuseObject(
  deps: IngestDeps,
  bucket: string,
  object: StoredObject,
  job: Job,
  mismatch: string,
): Promise<IngestOutcome> {
  let failed = job;
  if (job.status === JobStatus.AwaitingUpload) {
    const error = `The upload does not match its declared size: ${mismatch}; the object was deleted`;
    try {
      failed = await deps.jobs.refuseUpload(job.jobId, { error, errorCode: JobErrorCode.InvalidInput });
    } catch (conflict) {
      if (!(conflict instanceof JobStateConflictError)) throw conflict;
      // A good upload queued it meanwhile, or it was canceled: leave both job and key alone.
      if (conflict.current.status !== JobStatus.Canceled)
        return { outcome: 'skipped', job: conflict.current };
      failed = conflict.current;
    }
  }
  await deleteRefused(deps.s3, bucket, object);
  return { outcome: 'refused', job: failed };
}

/**
 * Deletes exactly the refused object: its version where the bucket keeps versions, else only
 * while its ETag is still this one (If-Match), so a good upload that replaced it stays.
 */
async function deleteRefused(s3: S3Client, bucket: string, object: StoredObject): Promise<void> {
  try {
    await s3.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: object.key,
        ...(object.versionId ? { VersionId: object.versionId } : { IfMatch: `"${object.etag}"` }),
      }),
    );
  } catch (error) {
    // Replaced since (412) or gone already (404): the refused object is not there any more.
    const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
    if (status !== 412 && status !== 404) throw error;
  }
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
 * either written holding the send claim `claimId` (`sendClaimed`); or the record a previous
 * event made (`sendClaimed: false`).
 */
async function recordQueuedJob(
  deps: IngestDeps,
  bucket: string,
  object: StoredObject,
  claimId: string,
): Promise<Recorded> {
  const apiJobId = jobIdFromUploadKey(object.key);
  if (apiJobId) {
    const apiJob = await markApiUpload(deps.jobs, apiJobId, bucket, object, claimId);
    if (apiJob) return apiJob;
  }
  const clientId = await deps.ownerOf?.(object.key);
  const timeoutSec = timeoutFor(object);
  const { job, created } = await deps.jobs.create(
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

/** The job recorded for an object, or the API job that refuses it and why. */
type Recorded = { job: Job; sendClaimed: boolean } | { job: Job; refused: string };

/**
 * AWAITING_UPLOAD -> QUEUED for the API job this upload key names, in one conditional write
 * (no read first) that also requires the declared size. Undefined when no API job waits at this
 * key: the object is then a direct drop.
 */
async function markApiUpload(
  jobs: JobStore,
  jobId: string,
  bucket: string,
  object: StoredObject,
  claimId: string,
): Promise<Recorded | undefined> {
  try {
    const job = await jobs.markUploaded(
      jobId,
      object.key,
      {
        size: object.size,
        etag: object.etag,
        ...(object.contentType ? { contentType: object.contentType } : {}),
      },
      { sendClaimId: claimId },
    );
    return { job, sendClaimed: true };
  } catch (error) {
    if (error instanceof JobNotFoundError) return undefined;
    if (!(error instanceof JobStateConflictError)) throw error;
    const current = error.current;
    // The id names another object's job.
    if (current.key !== object.key || current.bucket !== bucket) return undefined;
    // Still waiting, or refused before (FAILED without ever being queued: a retried event).
    const open =
      current.status === JobStatus.AwaitingUpload ||
      (current.status === JobStatus.Failed && current.queuedAt === undefined);
    const refused = open ? declaredSizeMismatch(current, object) : undefined;
    if (refused) return { job: current, refused };
    // Already QUEUED (a duplicate event) or further on.
    return { job: current, sendClaimed: false };
  }
}

/** How the object differs from the size its API job declared; none when it is that size. */
function declaredSizeMismatch(job: Job, object: StoredObject): string | undefined {
  return job.size === undefined ? undefined : sizeMismatch(object.size, job.size);
}
