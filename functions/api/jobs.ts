/**
 * @module functions/api/jobs
 * `GET /jobs/{id}`, `GET /jobs` and `DELETE /jobs/{id}` as domain functions over JobStore, each
 * for one client: another client's job is answered exactly like a job that does not exist (404),
 * so a client cannot even learn that an id is in use.
 */
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ApiErrorCode } from '../../core/api/errors.ts';
import {
  type JobListView,
  type JobView,
  type ListJobsQuery,
  type ResultView,
  toJobView,
} from '../../core/api/jobs.ts';
import { JobNotFoundError, JobStateConflictError } from '../../core/errors.ts';
import { type Job, JobStatus } from '../../core/job.ts';
import { isJobId } from '../../core/keys.ts';
import { enqueueWebhook } from '../../core/webhooks.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError } from './errors.ts';
import { listJobPage } from './list-jobs.ts';

/** A malformed id is a 400 naming the field, not a 404: it cannot be any job's id. */
export function assertJobId(id: string): void {
  if (!isJobId(id)) throw ApiError.invalidField('id', 'must be a job id (a lowercase UUID)');
}

function notFound(jobId: string): ApiError {
  return new ApiError(404, ApiErrorCode.JobNotFound, `Job ${jobId} does not exist`, { field: 'id' });
}

/** The job if it exists and belongs to `clientId`; 404 otherwise. */
/** The caller's job; another client's job is a 404, as if it did not exist. */
export async function ownJob(deps: ApiDeps, clientId: string, jobId: string): Promise<Job> {
  assertJobId(jobId);
  const job = await deps.jobs.get(jobId);
  if (!job || job.clientId !== clientId) throw notFound(jobId);
  return job;
}

export async function getJob(deps: ApiDeps, clientId: string, jobId: string): Promise<JobView> {
  const job = await ownJob(deps, clientId, jobId);
  const result =
    job.status === JobStatus.Succeeded && job.resultKey
      ? await resultView(deps, job, job.resultKey)
      : undefined;
  return toJobView(job, result);
}

export async function listJobs(deps: ApiDeps, clientId: string, query: ListJobsQuery): Promise<JobListView> {
  const page = await listJobPage(deps.jobs, await deps.secrets.cursorKey(), clientId, query);
  return { jobs: page.jobs.map((job) => toJobView(job)), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

/**
 * Cancels a job that has not finished, then asks for its CANCELED webhook. A RUNNING job's
 * worker notices at its next heartbeat. 409 (with the current status) when already final.
 */
export async function cancelJob(deps: ApiDeps, clientId: string, jobId: string): Promise<JobView> {
  // A job's owner never changes, so checking it before the conditional cancel is race-free.
  await ownJob(deps, clientId, jobId);
  let job: Job;
  try {
    job = await deps.jobs.cancel(jobId);
  } catch (error) {
    if (error instanceof JobNotFoundError) throw notFound(jobId);
    if (error instanceof JobStateConflictError) {
      throw new ApiError(
        409,
        ApiErrorCode.JobAlreadyFinal,
        `Job ${jobId} is already ${error.current.status} and cannot be canceled`,
        { extra: { status: error.current.status }, cause: error },
      );
    }
    throw error;
  }
  if (job.webhookUrl) {
    if (!deps.webhookQueueUrl) {
      deps.logger.warn('FERRY_WEBHOOK_QUEUE_URL is not set: no webhook for the canceled job', { jobId });
    } else {
      try {
        await enqueueWebhook({ sqs: deps.sqs, queueUrl: deps.webhookQueueUrl }, job);
      } catch (error) {
        // The cancel stands either way; losing the notification is logged for operators.
        deps.logger.error('could not enqueue the CANCELED webhook', { jobId, error });
      }
    }
  }
  return toJobView(job);
}

async function resultView(deps: ApiDeps, job: Job, resultKey: string): Promise<ResultView> {
  const expiresIn = deps.options.resultUrlExpiresSec;
  const now = deps.now?.() ?? new Date();
  const url = await getSignedUrl(
    deps.presigner,
    new GetObjectCommand({ Bucket: job.bucket, Key: resultKey }),
    {
      expiresIn,
    },
  );
  const view: ResultView = { url, expiresAt: new Date(now.getTime() + expiresIn * 1000).toISOString() };
  try {
    const out = await deps.s3.send(new GetObjectCommand({ Bucket: job.bucket, Key: resultKey }));
    const bytes = out.ContentLength;
    if (bytes !== undefined) view.bytes = bytes;
    if (bytes === undefined || bytes > deps.options.resultInlineMaxBytes) {
      out.Body?.transformToWebStream().cancel();
      return view;
    }
    const text = (await out.Body?.transformToString('utf8')) ?? '';
    view.data = JSON.parse(text);
  } catch (error) {
    const level = error instanceof NoSuchKey ? 'error' : 'warn';
    deps.logger[level]('could not inline the result', { jobId: job.jobId, resultKey, error });
  }
  return view;
}
