/**
 * @module infra/queues
 * The jobs queue and the webhooks queue, each with its dead-letter queue; the timings of the
 * jobs queue are core/config.ts QUEUE, so the worker's heartbeat and the queue agree.
 */
import { QUEUE, WEBHOOK } from '../core/config.ts';
import type { WebhookOptions } from './options.ts';

export interface Queues {
  jobs: sst.aws.Queue;
  jobsDeadLetter: sst.aws.Queue;
  webhooks: sst.aws.Queue;
  webhooksDeadLetter: sst.aws.Queue;
}

/** Settings every queue shares: SQS-managed encryption at rest. */
const ENCRYPTED = { sqsManagedSseEnabled: true } as const;

export function createQueues(webhookOptions: WebhookOptions): Queues {
  const jobsDeadLetter = new sst.aws.Queue('JobsDeadLetterQueue', {
    transform: { queue: { ...ENCRYPTED, messageRetentionSeconds: QUEUE.deadLetterRetentionSec } },
  });
  const jobs = new sst.aws.Queue('JobsQueue', {
    visibilityTimeout: `${QUEUE.visibilityTimeoutSec} seconds`,
    dlq: { queue: jobsDeadLetter.arn, retry: QUEUE.maxReceiveCount },
    transform: {
      queue: {
        ...ENCRYPTED,
        messageRetentionSeconds: QUEUE.messageRetentionSec,
        receiveWaitTimeSeconds: QUEUE.receiveWaitTimeSec,
      },
    },
  });

  const webhooksDeadLetter = new sst.aws.Queue('WebhooksDeadLetterQueue', {
    transform: { queue: { ...ENCRYPTED, messageRetentionSeconds: QUEUE.deadLetterRetentionSec } },
  });
  const webhooks = new sst.aws.Queue('WebhooksQueue', {
    visibilityTimeout: `${WEBHOOK.visibilityTimeoutSec} seconds`,
    dlq: { queue: webhooksDeadLetter.arn, retry: webhookOptions.maxReceiveCount },
    transform: { queue: { ...ENCRYPTED, messageRetentionSeconds: QUEUE.messageRetentionSec } },
  });

  return { jobs, jobsDeadLetter, webhooks, webhooksDeadLetter };
}
