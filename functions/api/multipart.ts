/**
 * @module functions/api/multipart
 * Large uploads as S3 multipart uploads: `POST /uploads` with a size above the threshold starts
 * one and returns a plan (upload id, part size, presigned part URLs, and where to get more),
 * `POST /uploads/{jobId}/complete` joins the parts, `DELETE /uploads/{jobId}` aborts the upload
 * and cancels the job. Ingest is unchanged: the completed object fires ObjectCreated as any
 * upload does. An upload left unfinished is removed by the bucket's abort-incomplete-multipart
 * lifecycle rule (infra/storage.ts).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  NoSuchUpload,
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
import { type Job, JobStatus } from '../../core/job.ts';
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
  const partCount = Math.ceil(size / partSize);
  return {
    method: 'MULTIPART',
    uploadId,
    partSize,
    partCount,
    parts: await signParts(deps, key, uploadId, 1, Math.min(partCount, PART_URLS_PER_PAGE)),
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
  const job = await openMultipart(deps, clientId, jobId);
  const partCount = Math.ceil((job.size ?? 0) / partSizeFor(job.size ?? 0, deps.options.multipartPartBytes));
  const { from } = query;
  if (from > partCount) {
    throw ApiError.invalidField('from', `must be a part number 1..${partCount}`);
  }
  const count = Math.min(PART_URLS_PER_PAGE, partCount - from + 1);
  return { parts: await signParts(deps, job.key, String(job.multipartUploadId), from, count) };
}

/** `POST /uploads/{jobId}/complete`: joins the parts into the job's object (ingest then queues it). */
export async function completeMultipart(
  deps: ApiDeps,
  clientId: string,
  jobId: string,
  request: CompleteUploadRequest,
): Promise<CompletedUpload> {
  const job = await openMultipart(deps, clientId, jobId);
  const parts = [...request.parts].sort((a, b) => a.partNumber - b.partNumber);
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
    // InvalidPart, InvalidPartOrder, EntityTooSmall: the client's list does not match the parts sent.
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

function signParts(
  deps: ApiDeps,
  key: string,
  uploadId: string,
  from: number,
  count: number,
): Promise<PartUrl[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      partNumber: from + i,
      url: await getSignedUrl(
        deps.presigner,
        new UploadPartCommand({ Bucket: deps.bucket, Key: key, UploadId: uploadId, PartNumber: from + i }),
        { expiresIn: deps.options.uploadExpiresSec },
      ),
    })),
  );
}
