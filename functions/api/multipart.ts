/**
 * @module functions/api/multipart
 * Large uploads as S3 multipart uploads: `POST /uploads` with a size above the threshold starts
 * one and returns a plan (upload id, part size, presigned part URLs, and where to get more),
 * `POST /uploads/{jobId}/complete` joins the parts, `DELETE /uploads/{jobId}` aborts the upload
 * and cancels the job. Ingest is unchanged: the completed object fires ObjectCreated as any
 * upload does. An upload left unfinished is removed by the bucket's abort-incomplete-multipart
 * lifecycle rule (infra/storage.ts).
 *
 * Every part has an exact size, cut from the declared size (core/upload-size.ts). Its URL signs
 * that Content-Length, which only AWS S3 enforces, so `complete` also checks what arrived
 * (ListParts): a part outside the plan or of another size aborts the upload and fails the job
 * INVALID_INPUT (422 UPLOAD_SIZE_MISMATCH). Ingest checks the joined object's size once more,
 * which catches a CompleteMultipartUpload sent straight to S3.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  NoSuchUpload,
  paginateListParts,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ApiErrorCode } from '../../core/api/errors.ts';
import type { JobView } from '../../core/api/jobs.ts';
import {
  type CompletedUpload,
  type CompleteUploadRequest,
  type MultipartPlan,
  type PartUrl,
  type PartUrlPage,
  type PartUrlsQuery,
  S3_MULTIPART,
} from '../../core/api/multipart.ts';
import { JobStateConflictError } from '../../core/errors.ts';
import { type Job, JobErrorCode, JobStatus } from '../../core/job.ts';
import { normaliseEtag } from '../../core/keys.ts';
import { expectedPartBytes, partCountFor, partsMismatch } from '../../core/upload-size.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError } from './errors.ts';
import { cancelJob, ownJob } from './jobs.ts';

/** Largest body of `POST /uploads/{jobId}/complete`: 10,000 parts of about 70 bytes of JSON each. */
export const COMPLETE_MAX_BODY_BYTES = 1024 * 1024;

/** Part URLs returned at once; a client asks `GET /uploads/{jobId}/parts` for the rest. */
export const PART_URLS_PER_PAGE = 100;

/** The part size for `size` bytes: at least `preferred`, and large enough for S3's 10,000 parts. */
export function partSizeFor(size: number, preferred: number): number {
  const MiB = 1024 * 1024;
  const needed = Math.ceil(size / S3_MULTIPART.maxParts / MiB) * MiB;
  return Math.max(S3_MULTIPART.minPartBytes, preferred, needed);
}

/** Starts the multipart upload for a new job's key and signs its first parts. */
export async function startMultipart(
  deps: ApiDeps,
  jobId: string,
  key: string,
  contentType: string,
  size: number,
): Promise<MultipartPlan> {
  const out = await deps.s3.send(
    new CreateMultipartUploadCommand({ Bucket: deps.bucket, Key: key, ContentType: contentType }),
  );
  const uploadId = String(out.UploadId);
  const partSize = partSizeFor(size, deps.options.multipartPartBytes);
  const partCount = partCountFor(size, partSize);
  const upload = { key, uploadId, size, partSize };
  return {
    method: 'MULTIPART',
    uploadId,
    partSize,
    partCount,
    parts: await signParts(deps, upload, 1, Math.min(partCount, PART_URLS_PER_PAGE)),
    partsUrl: `/uploads/${jobId}/parts`,
    completeUrl: `/uploads/${jobId}/complete`,
    abortUrl: `/uploads/${jobId}`,
  };
}

/** `GET /uploads/{jobId}/parts?from=N`: URLs of parts N .. N+99 (up to the last). */
export async function partUrls(
  deps: ApiDeps,
  clientId: string,
  jobId: string,
  query: PartUrlsQuery,
): Promise<PartUrlPage> {
  const upload = planOf(deps, await openMultipart(deps, clientId, jobId));
  const partCount = partCountFor(upload.size, upload.partSize);
  const { from } = query;
  if (from > partCount) {
    throw ApiError.invalidField('from', `must be a part number 1..${partCount}`);
  }
  const count = Math.min(PART_URLS_PER_PAGE, partCount - from + 1);
  return { parts: await signParts(deps, upload, from, count) };
}

/**
 * `POST /uploads/{jobId}/complete`: checks the parts that arrived against the plan, then joins
 * them into the job's object (ingest then queues it). Parts of the wrong size fail the job.
 */
export async function completeMultipart(
  deps: ApiDeps,
  clientId: string,
  jobId: string,
  request: CompleteUploadRequest,
): Promise<CompletedUpload> {
  const job = await openMultipart(deps, clientId, jobId);
  const upload = planOf(deps, job);
  const uploaded = await listUploadedParts(deps, jobId, upload);
  const mismatch = partsMismatch(uploaded, upload.size, upload.partSize);
  if (mismatch) throw await refuseParts(deps, job, mismatch);
  const parts = partsToJoin(request.parts, uploaded, partCountFor(upload.size, upload.partSize));
  try {
    const out = await deps.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: deps.bucket,
        Key: job.key,
        UploadId: job.multipartUploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    );
    return { jobId, key: job.key, etag: String(out.ETag) };
  } catch (error) {
    if (error instanceof NoSuchUpload) throw uploadGone(jobId, error);
    // InvalidPart, EntityTooSmall: a part was replaced since it was listed.
    if (error instanceof S3ServiceException && error.$fault === 'client') {
      throw ApiError.invalidField('parts', `do not match the uploaded parts: ${error.message}`);
    }
    throw error;
  }
}

/** `DELETE /uploads/{jobId}`: aborts the upload (its parts are deleted) and cancels the job. */
export async function abortMultipart(deps: ApiDeps, clientId: string, jobId: string): Promise<JobView> {
  const job = await openMultipart(deps, clientId, jobId);
  try {
    await deps.s3.send(
      new AbortMultipartUploadCommand({ Bucket: deps.bucket, Key: job.key, UploadId: job.multipartUploadId }),
    );
  } catch (error) {
    // Already aborted (a retried DELETE): cancelling the job is all that is left to do.
    if (!(error instanceof NoSuchUpload)) throw error;
  }
  return cancelJob(deps, clientId, jobId);
}

/** The caller's job, if it is waiting for a multipart upload; a 404 (another client's too) or 409 otherwise. */
async function openMultipart(
  deps: ApiDeps,
  clientId: string,
  jobId: string,
): Promise<Job & { multipartUploadId: string }> {
  const job = await ownJob(deps, clientId, jobId);
  if (!job.multipartUploadId) {
    throw new ApiError(
      409,
      ApiErrorCode.UploadNotOpen,
      `Job ${jobId} was not created for a multipart upload`,
    );
  }
  if (job.status !== JobStatus.AwaitingUpload) {
    throw new ApiError(
      409,
      ApiErrorCode.JobAlreadyFinal,
      `Job ${jobId} is ${job.status}: its upload is over`,
      {
        extra: { status: job.status },
      },
    );
  }
  return job as Job & { multipartUploadId: string };
}

/** What a multipart job's upload must be: its key and upload id, declared size and part size. */
interface PlannedUpload {
  key: string;
  uploadId: string;
  size: number;
  partSize: number;
}

/**
 * The plan of an open multipart job. The part size is computed again from the declared size, as
 * `POST /uploads` did (FERRY_MULTIPART_PART_BYTES must not change while uploads are open).
 */
function planOf(deps: ApiDeps, job: Job & { multipartUploadId: string }): PlannedUpload {
  // Every multipart job is created with its declared size (functions/api/uploads.ts).
  const size = job.size ?? 0;
  return {
    key: job.key,
    uploadId: job.multipartUploadId,
    size,
    partSize: partSizeFor(size, deps.options.multipartPartBytes),
  };
}

interface ListedPart {
  partNumber: number;
  size: number;
  etag: string;
}

/** Every part S3 holds for the upload (ListParts, 1,000 a page): what really arrived. */
async function listUploadedParts(deps: ApiDeps, jobId: string, upload: PlannedUpload): Promise<ListedPart[]> {
  const parts: ListedPart[] = [];
  try {
    const pages = paginateListParts(
      { client: deps.s3, pageSize: 1000 },
      { Bucket: deps.bucket, Key: upload.key, UploadId: upload.uploadId },
    );
    for await (const page of pages) {
      for (const p of page.Parts ?? []) {
        parts.push({ partNumber: p.PartNumber ?? 0, size: p.Size ?? 0, etag: normaliseEtag(p.ETag ?? '') });
      }
    }
  } catch (error) {
    if (error instanceof NoSuchUpload) throw uploadGone(jobId, error);
    throw error;
  }
  return parts;
}

/**
 * The parts to join: the client must list parts 1..`partCount` once each, with the ETags S3
 * holds. A part missing or listed wrong is the client's to fix (400, the upload stays open).
 * The listed ETags are S3's, so the parts joined are the parts whose sizes were checked.
 */
function partsToJoin(
  listed: CompleteUploadRequest['parts'],
  uploaded: readonly ListedPart[],
  partCount: number,
): ListedPart[] {
  const sorted = [...listed].sort((a, b) => a.partNumber - b.partNumber);
  if (sorted.length !== partCount || sorted.some((p, i) => p.partNumber !== i + 1)) {
    throw ApiError.invalidField('parts', `must list every part 1..${partCount} once`);
  }
  const byNumber = new Map(uploaded.map((p) => [p.partNumber, p]));
  return sorted.map((p) => {
    const part = byNumber.get(p.partNumber);
    if (!part)
      throw ApiError.invalidField(
        'parts',
        `do not match the uploaded parts: part ${p.partNumber} has not arrived`,
      );
    if (part.etag !== normaliseEtag(p.etag)) {
      throw ApiError.invalidField(
        'parts',
        `do not match the uploaded parts: part ${p.partNumber} has another ETag`,
      );
    }
    return part;
  });
}

/**
 * Parts of the wrong size arrived: aborts the upload (its parts are deleted), fails the job
 * INVALID_INPUT and returns the 422 to answer. A job canceled meanwhile stays CANCELED.
 */
async function refuseParts(
  deps: ApiDeps,
  job: Job & { multipartUploadId: string },
  mismatch: string,
): Promise<ApiError> {
  try {
    await deps.s3.send(
      new AbortMultipartUploadCommand({ Bucket: deps.bucket, Key: job.key, UploadId: job.multipartUploadId }),
    );
  } catch (error) {
    if (!(error instanceof NoSuchUpload)) throw error;
  }
  const error = `The upload does not match its declared size: ${mismatch}; it was aborted`;
  let status: JobStatus = JobStatus.Failed;
  try {
    await deps.jobs.refuseUpload(job.jobId, { error, errorCode: JobErrorCode.InvalidInput });
  } catch (failure) {
    if (!(failure instanceof JobStateConflictError)) throw failure;
    status = failure.current.status;
  }
  return new ApiError(422, ApiErrorCode.UploadSizeMismatch, `parts ${mismatch}; the upload was aborted`, {
    field: 'parts',
    issues: [{ field: 'parts', message: mismatch }],
    extra: { status },
  });
}

function uploadGone(jobId: string, cause: unknown): ApiError {
  return new ApiError(
    409,
    ApiErrorCode.UploadNotOpen,
    `The upload of job ${jobId} was aborted or has expired`,
    {
      cause,
    },
  );
}

/** Presigned UploadPart URLs for parts `from` .. `from + count - 1`, each signing its exact Content-Length. */
function signParts(deps: ApiDeps, upload: PlannedUpload, from: number, count: number): Promise<PartUrl[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const partNumber = from + i;
      const size = expectedPartBytes(partNumber, upload.size, upload.partSize);
      const command = new UploadPartCommand({
        Bucket: deps.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        PartNumber: partNumber,
        ContentLength: size,
      });
      const url = await getSignedUrl(deps.presigner, command, {
        expiresIn: deps.options.uploadExpiresSec,
        signableHeaders: new Set(['content-length']),
      });
      return { partNumber, url, size };
    }),
  );
}
