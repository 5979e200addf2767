/**
 * @module core/job-queue
 * Sending a job's message to the jobs queue, at most once per send claim (JobStore.claimSend /
 * claimResend): ingest and the reconciler both send through here.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Job } from './job.ts';
import type { JobStore } from './job-store.ts';
import type { JobMessage } from './queue-message.ts';

/** Sends the job's message and returns the SQS message id. */
export async function sendJobMessage(sqs: SQSClient, queueUrl: string, job: Job): Promise<string> {
  const message: JobMessage = { jobId: job.jobId, bucket: job.bucket, key: job.key, task: job.task };
  const out = await sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }),
  );
  if (!out.MessageId) throw new Error(`SQS returned no MessageId for job ${job.jobId}`);
  return out.MessageId;
}

/**
 * Sends the message of a job whose send claim `claimId` the caller holds, and records its id.
 * A failed send gives the claim back, so the caller's retry can take it at once.
 */
export async function sendUnderClaim(
  deps: { sqs: SQSClient; queueUrl: string; jobs: Pick<JobStore, 'recordEnqueued' | 'releaseSendClaim'> },
  job: Job,
  claimId: string,
): Promise<Job> {
  let messageId: string;
  try {
    messageId = await sendJobMessage(deps.sqs, deps.queueUrl, job);
  } catch (error) {
    await deps.jobs.releaseSendClaim(job.jobId, claimId).catch(() => {});
    throw error;
  }
  return deps.jobs.recordEnqueued(job.jobId, messageId, claimId);
}
