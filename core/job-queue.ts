/**
 * @module core/job-queue
 * Sending a job's message to the jobs queue.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Job } from './job.ts';
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
