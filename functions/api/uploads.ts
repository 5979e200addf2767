/**
 * @module functions/api/uploads
 * `POST /uploads`: checks the request against the configured limits, creates the job as
 * AWAITING_UPLOAD and returns where to upload. The ingest function moves the job to QUEUED when
 * the object lands at its key.
 *
 * What the upload URL binds (enforced by AWS S3 and by MiniStack, see docs/platform-notes.md):
 * - PUT (default): a presigned PutObject URL for exactly this key, with `content-type` and
 *   `content-length` among X-Amz-SignedHeaders, so the upload must send the declared type and
 *   size; it expires after `uploadExpiresSec`.
 * - POST: a presigned POST policy (for HTML forms) with `content-length-range` equal to the
 *   declared size, the exact key and Content-Type, and the same expiry.
 * A signature binds only requests made with the URL, so ingest checks the size that arrived
 * against the job's declared `size` (core/upload-size.ts) and refuses any other.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  type CreatedUpload,
  type CreateUploadRequest,
  UploadMethod,
  type UploadTarget,
} from '../../core/api/uploads.ts';
import type { Principal } from '../../core/client-store.ts';
import { JobStatus } from '../../core/job.ts';
import { apiUploadKey, newJobId } from '../../core/keys.ts';
import { defaultTaskFor } from '../../core/tasks.ts';
import {
  assertAllowedPort,
  assertPublicHost,
  parseWebhookUrl,
  WebhookUrlError,
} from '../../core/webhook-url.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError } from './errors.ts';
import { startMultipart } from './multipart.ts';
import { limitNewJob } from './rate-limit.ts';

export async function createUpload(
  deps: ApiDeps,
  principal: Principal,
  request: CreateUploadRequest,
): Promise<CreatedUpload> {
  const { options } = deps;
  const contentType = normaliseContentType(request.contentType);
  if (!options.allowedContentTypes.includes(contentType)) {
    throw ApiError.invalidField('contentType', `must be one of ${options.allowedContentTypes.join(', ')}`);
  }
  if (request.size > options.maxUploadBytes) {
    throw ApiError.invalidField('size', `must be at most ${options.maxUploadBytes} bytes`);
  }
  const webhookUrl =
    request.webhookUrl === undefined ? undefined : await checkWebhookUrl(deps, request.webhookUrl);

  await limitNewJob(deps.clients, principal);

  const task = request.task ?? defaultTaskFor({ contentType });
  const jobId = newJobId();
  const key = apiUploadKey(jobId, request.filename);
  const now = deps.now?.() ?? new Date();
  const expiresAt = new Date(now.getTime() + options.uploadExpiresSec * 1000).toISOString();
  const multipart = request.size > options.multipartThresholdBytes;
  if (multipart && request.uploadMethod === UploadMethod.Post) {
    throw ApiError.invalidField(
      'uploadMethod',
      `must be "PUT" for files over ${options.multipartThresholdBytes} bytes (they go up in parts)`,
    );
  }
  const upload = multipart
    ? await startMultipart(deps, jobId, key, contentType, request.size)
    : await presignUpload(deps, request.uploadMethod, key, contentType, request.size);

  await deps.jobs.create({
    jobId,
    status: JobStatus.AwaitingUpload,
    task,
    bucket: deps.bucket,
    key,
    contentType,
    size: request.size,
    ...(upload.method === 'MULTIPART' ? { multipartUploadId: upload.uploadId } : {}),
    ...(webhookUrl ? { webhookUrl } : {}),
    ...(request.timeoutSec ? { timeoutSec: request.timeoutSec } : {}),
    ...(request.metadata ? { metadata: request.metadata } : {}),
    clientId: principal.client.clientId,
  });
  return { jobId, status: JobStatus.AwaitingUpload, task, key, upload, expiresAt };
}

/** `Image/PNG; charset=x` -> `image/png`: parameters mean nothing for the allowed types. */
function normaliseContentType(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

async function checkWebhookUrl(deps: ApiDeps, value: string): Promise<string> {
  try {
    const url = parseWebhookUrl(value);
    assertAllowedPort(url, deps.options.webhookPorts);
    if (!deps.options.allowPrivateWebhooks) await assertPublicHost(url, deps.resolve);
    return url.href;
  } catch (error) {
    if (error instanceof WebhookUrlError) throw ApiError.invalidField('webhookUrl', error.message);
    // DNS trouble other than "no such host" is not the client's fault: accept the URL; the
    // webhook function checks the addresses again when it connects.
    deps.logger.warn('could not resolve the webhook host; accepting the URL', { error });
    return value;
  }
}

async function presignUpload(
  deps: ApiDeps,
  method: UploadMethod,
  key: string,
  contentType: string,
  size: number,
): Promise<UploadTarget> {
  const expiresIn = deps.options.uploadExpiresSec;
  if (method === UploadMethod.Post) {
    const post = await createPresignedPost(deps.presigner, {
      Bucket: deps.bucket,
      Key: key,
      Conditions: [
        ['content-length-range', size, size],
        ['eq', '$Content-Type', contentType],
      ],
      Fields: { 'Content-Type': contentType },
      Expires: expiresIn,
    });
    return { method: 'POST', url: post.url, fields: post.fields };
  }
  const url = await getSignedUrl(
    deps.presigner,
    new PutObjectCommand({ Bucket: deps.bucket, Key: key, ContentType: contentType, ContentLength: size }),
    { expiresIn, signableHeaders: new Set(['content-type', 'content-length']) },
  );
  return { method: 'PUT', url, headers: { 'Content-Type': contentType, 'Content-Length': String(size) } };
}
