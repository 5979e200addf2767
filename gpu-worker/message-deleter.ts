/**
 * @module gpu-worker/message-deleter
 * Deletes finished jobs' messages, grouping the deletes that arrive while one request is in
 * flight into one DeleteMessageBatch (up to SQS's 10 per batch). Nothing waits on a timer: a
 * lone delete goes at once as a DeleteMessage, so a job on an idle worker finishes as soon as
 * before, and under load the jobs that finish together share a request. Each caller's promise
 * settles with its own entry's outcome, so a failed entry is retried by its own job alone.
 */
import {
  type BatchResultErrorEntry,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** SQS's limit of entries per batch request. */
const MAX_BATCH = 10;

interface Pending {
  receiptHandle: string;
  resolve(): void;
  reject(error: unknown): void;
}

export interface MessageDeleter {
  delete(receiptHandle: string): Promise<void>;
}

export function createMessageDeleter(sqs: SQSClient, queueUrl: string): MessageDeleter {
  const queue: Pending[] = [];
  let sending = false;

  const sendBatch = async (batch: Pending[]): Promise<void> => {
    if (batch.length === 1) {
      const [only] = batch as [Pending];
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: only.receiptHandle }));
      only.resolve();
      return;
    }
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((p, i) => ({ Id: String(i), ReceiptHandle: p.receiptHandle })),
      }),
    );
    const failed = new Map<string, BatchResultErrorEntry>((out.Failed ?? []).map((f) => [f.Id ?? '', f]));
    batch.forEach((p, i) => {
      const f = failed.get(String(i));
      if (!f) {
        p.resolve();
        return;
      }
      const error = Object.assign(
        new Error(`DeleteMessageBatch entry failed: ${f.Code} ${f.Message ?? ''}`),
        {
          name: f.Code ?? 'BatchEntryFailed',
          // Read by retry.ts as a single call's answer would be: a sender fault is not retried.
          $metadata: { httpStatusCode: f.SenderFault ? 400 : 500 },
        },
      );
      p.reject(error);
    });
  };

  const drain = async (): Promise<void> => {
    if (sending) return;
    sending = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, MAX_BATCH);
        await sendBatch(batch).catch((error: unknown) => {
          for (const p of batch) p.reject(error);
        });
      }
    } finally {
      sending = false;
    }
  };

  return {
    delete(receiptHandle) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ receiptHandle, resolve, reject });
        void drain();
      });
    },
  };
}
