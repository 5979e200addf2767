/**
 * JobRunner's failure handling with stubbed AWS clients and a fake job store: what happens to the
 * job and its message for bad input, transient errors, and the last allowed delivery.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { pino } from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidInputError, JobStateConflictError } from '../../../core/errors.ts';
import { type Job, JobStatus } from '../../../core/job.ts';
import { workerConfigFromEnv } from '../../../gpu-worker/config.ts';
import { backoffSec, JobRunner, type RunnerJobStore } from '../../../gpu-worker/job-runner.ts';
import { pinoLog } from '../../../gpu-worker/logger.ts';
import { modelJobTask } from '../../../gpu-worker/tasks/registry.ts';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const config = workerConfigFromEnv({
  FERRY_WORKER_ID: 'w1',
  FERRY_MAX_RECEIVE_COUNT: '5',
  FERRY_AWS_RETRY_SEC: '0',
});

const job: Job = {
  jobId: 'j1',
  status: JobStatus.Running,
  task: 'ocr',
  bucket: 'b',
  key: 'uploads/a.png',
  attempts: 1,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  expiresAt: 0,
};

function fakeStore(): RunnerJobStore & { calls: string[] } {
  const calls: string[] = [];
  const record =
    (name: string, status = job.status) =>
    async (..._args: unknown[]) => {
      calls.push(name);
      return { ...job, status };
    };
  return {
    calls,
    claim: record('claim'),
    renewLease: record('renewLease'),
    reportProgress: record('reportProgress'),
    releaseLease: record('releaseLease'),
    succeed: record('succeed', JobStatus.Succeeded),
    fail: vi.fn(record('fail', JobStatus.Failed)),
  };
}

const message = (receiveCount: number): Message => ({
  MessageId: 'm1',
  ReceiptHandle: 'r1',
  Body: JSON.stringify({ jobId: 'j1', bucket: 'b', key: 'uploads/a.png', task: 'ocr' }),
  Attributes: { ApproximateReceiveCount: String(receiveCount) },
});

function runner(store: RunnerJobStore, run = vi.fn()) {
  return new JobRunner({
    s3: new S3Client({}),
    sqs: new SQSClient({}),
    jobs: store,
    pool: { run },
    tasks: new Map([['ocr', modelJobTask({ name: 'ocr' }, config.maxInputBytes)]]),
    queueUrl: 'q',
    config,
    log: pinoLog(pino({ level: 'silent' })),
  });
}

/** The part of the SDK's streaming body the runner reads. */
const body = () => ({ transformToByteArray: async () => new Uint8Array(Buffer.from('png bytes')) }) as never;

beforeEach(() => {
  s3.reset();
  sqs.reset();
  s3.on(GetObjectCommand).resolves({ Body: body(), ContentLength: 9 });
  s3.on(PutObjectCommand).resolves({});
});

describe('JobRunner', () => {
  it('fails the job and deletes its message when the input is invalid', async () => {
    const store = fakeStore();
    const out = await runner(
      store,
      vi.fn().mockRejectedValue(new InvalidInputError('The file is empty (0 bytes).')),
    ).run(message(1), new AbortController().signal);
    expect(out.outcome).toBe('failed');
    expect(store.fail).toHaveBeenCalledWith(
      'j1',
      expect.objectContaining({ errorCode: 'INVALID_INPUT', error: 'The file is empty (0 bytes).' }),
      'w1',
    );
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(1);
  });

  it('fails the job at once when its input object no longer exists', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    const store = fakeStore();
    const out = await runner(store).run(message(1), new AbortController().signal);
    expect(out.outcome).toBe('failed');
    expect(store.fail).toHaveBeenCalledWith(
      'j1',
      expect.objectContaining({ errorCode: 'INPUT_MISSING' }),
      'w1',
    );
  });

  it('downloads the object ingest recorded (IfMatch) and fails clearly when it was replaced', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
        name: 'PreconditionFailed',
        $metadata: { httpStatusCode: 412 },
      }),
    );
    const store = { ...fakeStore(), claim: async () => ({ ...job, etag: 'abc123' }) };
    const out = await runner(store).run(message(1), new AbortController().signal);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toMatchObject({ IfMatch: '"abc123"' });
    expect(out.outcome).toBe('failed');
    expect(store.fail).toHaveBeenCalledWith(
      'j1',
      expect.objectContaining({ errorCode: 'INPUT_CHANGED', error: expect.stringContaining('was replaced') }),
      'w1',
    );
  });

  it('retries a transient error later: releases the lease and hides the message with backoff', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );
    const store = fakeStore();
    const out = await runner(store).run(message(2), new AbortController().signal);
    expect(out).toMatchObject({ outcome: 'retry', delaySec: 20 });
    expect(store.calls).toContain('releaseLease');
    expect(store.fail).not.toHaveBeenCalled();
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input.VisibilityTimeout).toBe(20);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it('fails the job on the last allowed delivery and leaves the message for the dead-letter queue', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const store = fakeStore();
    const out = await runner(store).run(message(5), new AbortController().signal);
    expect(out.outcome).toBe('failed');
    expect(store.fail).toHaveBeenCalledWith(
      'j1',
      expect.objectContaining({
        errorCode: 'RETRIES_EXHAUSTED',
        error: expect.stringMatching(/5 times.*socket hang up/),
      }),
      'w1',
    );
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input.VisibilityTimeout).toBe(0);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it('hides, never deletes, a message whose job another worker holds under a live lease', async () => {
    const store = fakeStore();
    const held: Job = { ...job, workerId: 'w2', leaseExpiresAt: Date.now() + 10_000 };
    store.claim = async () => {
      throw new JobStateConflictError('j1', [JobStatus.Queued], held);
    };
    const out = await runner(store).run(message(2), new AbortController().signal);
    expect(out.outcome).toBe('skipped');
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    const hide = sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input.VisibilityTimeout;
    expect(hide).toBeGreaterThanOrEqual(10);
    expect(hide).toBeLessThanOrEqual(12);
  });

  it('deletes a duplicate message whose job is already final', async () => {
    const store = fakeStore();
    store.claim = async () => {
      throw new JobStateConflictError('j1', [JobStatus.Queued], { ...job, status: JobStatus.Succeeded });
    };
    await runner(store).run(message(2), new AbortController().signal);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(1);
  });

  it('deletes a malformed message without touching any job', async () => {
    const store = fakeStore();
    const out = await runner(store).run(
      { ReceiptHandle: 'r', Body: '{"hello":1}' },
      new AbortController().signal,
    );
    expect(out.outcome).toBe('skipped');
    expect(store.calls).toEqual([]);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(1);
  });
});

describe('backoffSec', () => {
  it('doubles from 10 s and caps at 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 10].map(backoffSec)).toEqual([10, 20, 40, 80, 160, 300]);
  });
});
