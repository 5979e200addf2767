/**
 * The operator commands against the emulator: `ferry stats`, `ferry redrive [--dry-run]` and
 * `ferry retry <jobId>` read and change the real table and queues, and fail clearly (exit 2)
 * when the emulator cannot be reached or no resources are configured.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CliIo } from '../../../cli/io.ts';
import { main } from '../../../cli/main.ts';
import { callLogEnv } from '../../../core/aws-calls.ts';
import { type Job, JobStatus } from '../../../core/job.ts';
import { newJobId } from '../../../core/keys.ts';
import { parseJobMessage } from '../../../core/queue-message.ts';
import { capture } from '../../support/cli.ts';
import { createTestStack, type TestStack } from '../../support/local-stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});

function io(env: Record<string, string | undefined>, cwd = '/nonexistent-ferry-dir') {
  const stdout = capture();
  const stderr = capture();
  const value: CliIo = {
    fetch: () => Promise.reject(new Error('operator commands must not call the API')),
    stdout,
    stderr,
    env,
    cwd,
    readFile: () => Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })),
    writeFile: () => Promise.resolve(),
    sleep: () => Promise.resolve(),
    pollIntervalMs: 1,
  };
  return { io: value, stdout, stderr };
}

async function ferry(...argv: string[]) {
  // The operator's calls are recorded too (as `cli`: the operator's credentials, no stack role).
  const r = io({ ...stack.env, ...callLogEnv('cli') });
  const code = await main(argv, r.io);
  return { code, stdout: r.stdout.text, stderr: r.stderr.text };
}

async function job(status: JobStatus, extra: Partial<Job> = {}): Promise<Job> {
  const jobId = newJobId();
  const { job: created } = await stack.jobs.create({
    jobId,
    status: JobStatus.Queued,
    task: 'ocr',
    bucket: stack.outputs.bucket,
    key: `uploads/${jobId}/a.png`,
    ...extra,
  });
  if (status === JobStatus.Failed)
    return stack.jobs.fail(jobId, { error: 'The image is truncated.', errorCode: 'INVALID_INPUT' });
  if (status === JobStatus.Running) return stack.jobs.claim(jobId, 'worker-a', 60_000);
  if (status === JobStatus.Canceled) return stack.jobs.cancel(jobId);
  return created;
}

const message = (j: Job) => JSON.stringify({ jobId: j.jobId, bucket: j.bucket, key: j.key, task: j.task });

async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const out = await stack.aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!out.Messages?.length) return bodies;
    for (const m of out.Messages) {
      bodies.push(m.Body ?? '');
      await stack.aws.sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
    }
  }
}

describe('ferry stats', () => {
  test('counts jobs per state, the backlog and dead letters, and names the oldest waiting job', async () => {
    const oldest = await job(JobStatus.Queued);
    await job(JobStatus.Queued);
    await job(JobStatus.Running);
    await job(JobStatus.Failed);
    for (const j of [oldest]) {
      await stack.aws.sqs.send(
        new SendMessageCommand({ QueueUrl: stack.outputs.queueUrl, MessageBody: message(j) }),
      );
    }
    await stack.aws.sqs.send(new SendMessageCommand({ QueueUrl: stack.outputs.dlqUrl, MessageBody: '{}' }));

    const r = await ferry('stats', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.statuses).toMatchObject({ QUEUED: 2, RUNNING: 1, FAILED: 1, SUCCEEDED: 0 });
    expect(s.queue.waiting).toBe(1);
    expect(s.deadLetters.waiting).toBe(1);
    expect(s.oldestWaiting.jobId).toBe(oldest.jobId);
    expect(s.oldestWaiting.ageSec).toBeGreaterThanOrEqual(0);

    const text = await ferry('stats');
    expect(text.stdout).toContain('QUEUED 2');
    expect(text.stdout).toContain(oldest.jobId);
    await drain(stack.outputs.queueUrl);
    await drain(stack.outputs.dlqUrl);
  });
});

describe('ferry redrive', () => {
  test('moves dead letters of open jobs back, keeps final, missing and malformed ones; --dry-run moves nothing', async () => {
    const open = await job(JobStatus.Queued);
    const failed = await job(JobStatus.Failed);
    const bodies = [
      message(open),
      message(failed),
      JSON.stringify({ jobId: newJobId(), bucket: 'b', key: 'k', task: 'ocr' }),
      'not json',
    ];
    for (const body of bodies)
      await stack.aws.sqs.send(new SendMessageCommand({ QueueUrl: stack.outputs.dlqUrl, MessageBody: body }));

    const dry = await ferry('redrive', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout);
    expect(report.dryRun).toBe(true);
    expect(report.entries.map((e: { outcome: string }) => e.outcome).sort()).toEqual([
      'final',
      'malformed',
      'missing',
      'moved',
    ]);
    expect(await drain(stack.outputs.queueUrl)).toEqual([]);

    const real = await ferry('redrive');
    expect(real.code).toBe(0);
    expect(real.stdout).toContain(`moved  job ${open.jobId}`);
    expect(real.stdout).toContain(`ferry retry ${failed.jobId}`);
    expect(real.stdout).toContain('Moved 1 of 4 dead letters');
    expect((await drain(stack.outputs.queueUrl)).map((b) => parseJobMessage(b)?.jobId)).toEqual([open.jobId]);
    // The three that stay are visible again at once.
    expect((await drain(stack.outputs.dlqUrl)).sort()).toEqual(bodies.slice(1).sort());
  });
});

describe('ferry retry', () => {
  test('runs a FAILED job again as a linked QUEUED job with one message and the history', async () => {
    const failed = await job(JobStatus.Failed, {
      webhookUrl: 'https://example.com/hook',
      metadata: { a: '1' },
    });
    const r = await ferry('retry', failed.jobId, '--json');
    expect(r.code).toBe(0);
    const { retry, created } = JSON.parse(r.stdout);
    expect(created).toBe(true);
    const stored = await stack.jobs.require(retry.jobId);
    expect(stored).toMatchObject({
      status: JobStatus.Queued,
      retryOf: failed.jobId,
      key: failed.key,
      task: failed.task,
      webhookUrl: 'https://example.com/hook',
      metadata: { a: '1' },
      history: [{ jobId: failed.jobId, status: 'FAILED', errorCode: 'INVALID_INPUT', attempts: 0 }],
    });
    expect(stored.messageId).toBeTruthy();
    // The FAILED job stays FAILED and points at its retry.
    expect(await stack.jobs.require(failed.jobId)).toMatchObject({
      status: 'FAILED',
      retriedAs: retry.jobId,
    });
    expect((await drain(stack.outputs.queueUrl)).map((b) => parseJobMessage(b)?.jobId)).toEqual([
      retry.jobId,
    ]);

    // Again: the same retry, no second job or message.
    const again = await ferry('retry', failed.jobId);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already retried as ${retry.jobId}`);
    expect(await drain(stack.outputs.queueUrl)).toEqual([]);
  });

  test('refuses a job that is not FAILED, and an unknown job, with exit 1', async () => {
    const queued = await job(JobStatus.Queued);
    const r = await ferry('retry', queued.jobId);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is QUEUED; only FAILED jobs can be retried');
    const unknown = await ferry('retry', 'no-such-job');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No job no-such-job');
  });
});

describe('failure paths', () => {
  test('an unreachable emulator is a clear configuration error (exit 2)', async () => {
    const r = io({ ...stack.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    const code = await main(['stats'], r.io);
    expect(code).toBe(2);
    expect(r.stderr.text).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:9: ECONNREFUSED/);
  });

  test('no resources configured names the variables to set (exit 2)', async () => {
    const r = io({});
    expect(await main(['redrive'], r.io)).toBe(2);
    expect(r.stderr.text).toContain('set FERRY_TABLE and FERRY_QUEUE_URL');
  });

  test('redrive without a dead-letter queue says so (exit 2)', async () => {
    const { FERRY_DLQ_URL: _, ...env } = stack.env;
    const r = io(env);
    expect(await main(['redrive'], r.io)).toBe(2);
    expect(r.stderr.text).toContain('No dead-letter queue');
  });
});
