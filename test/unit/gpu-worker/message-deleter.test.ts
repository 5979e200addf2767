/**
 * The message deleter: a lone delete goes at once as DeleteMessage, deletes arriving while one is
 * in flight share a DeleteMessageBatch, and a failed entry or request rejects only its own callers.
 */
import { DeleteMessageBatchCommand, DeleteMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMessageDeleter } from '../../../gpu-worker/message-deleter.ts';
import { isTransient } from '../../../gpu-worker/retry.ts';

const sqs = mockClient(SQSClient);
const queueUrl = 'http://q/jobs';

describe('createMessageDeleter', () => {
  beforeEach(() => sqs.reset());

  it('sends a lone delete at once and batches the ones that arrive while it is in flight', async () => {
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const deleter = createMessageDeleter(new SQSClient({}), queueUrl);
    await Promise.all(['a', 'b', 'c'].map((h) => deleter.delete(h)));
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle)).toEqual(['a']);
    const batches = sqs.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries);
    expect(batches.map((e) => e?.map((x) => x.ReceiptHandle))).toEqual([['b', 'c']]);
  });

  it('splits more than 10 waiting deletes into batches of 10', async () => {
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(DeleteMessageBatchCommand).resolves({});
    const deleter = createMessageDeleter(new SQSClient({}), queueUrl);
    await Promise.all(Array.from({ length: 13 }, (_, i) => deleter.delete(`h${i}`)));
    const sizes = sqs.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 2]);
  });

  it('rejects only the failed entry, as transient when the fault is the service', async () => {
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    const deleter = createMessageDeleter(new SQSClient({}), queueUrl);
    const results = await Promise.allSettled(['a', 'b', 'c'].map((h) => deleter.delete(h)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(isTransient((results[2] as PromiseRejectedResult).reason)).toBe(true);
  });

  it('rejects every caller of a request that failed, and goes on with the next', async () => {
    sqs.on(DeleteMessageCommand).rejectsOnce(new Error('connection reset')).resolves({});
    const deleter = createMessageDeleter(new SQSClient({}), queueUrl);
    await expect(deleter.delete('a')).rejects.toThrow('connection reset');
    await expect(deleter.delete('b')).resolves.toBeUndefined();
  });
});
