/**
 * The heartbeat with a stubbed SQS client and a fake store: it renews visibility and lease every
 * period, rides out a failing beat, aborts the job on a conflict, and stops renewing on stop().
 */
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { JobStateConflictError } from '../../../core/errors.ts';
import { type Job, JobStatus } from '../../../core/job.ts';
import { startHeartbeat } from '../../../gpu-worker/heartbeat.ts';

const sqs = mockClient(SQSClient);
const job = { jobId: 'j1', status: JobStatus.Canceled } as Job;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function beat(renewLease: (...args: unknown[]) => Promise<Job>, onError = vi.fn()) {
  return startHeartbeat(
    {
      sqs: new SQSClient({}),
      jobs: { renewLease },
      queueUrl: 'q',
      workerId: 'w1',
      periodMs: 40,
      visibilityTimeoutSec: 2,
      onError,
    },
    'j1',
    'r1',
  );
}

beforeEach(() => {
  sqs.reset();
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
});

describe('startHeartbeat', () => {
  it('extends the visibility and renews the lease every period', async () => {
    const renew = vi.fn(async () => job);
    const hb = beat(renew);
    await wait(150);
    hb.stop();
    expect(renew.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(renew).toHaveBeenCalledWith('j1', 'w1', 2000);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toMatchObject({
      ReceiptHandle: 'r1',
      VisibilityTimeout: 2,
    });
  });

  it('retries a beat that fails for a network reason and keeps beating', async () => {
    let calls = 0;
    const renew = vi.fn(async () => {
      calls++;
      if (calls <= 2) throw Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return job;
    });
    const hb = beat(renew);
    await wait(250);
    hb.stop();
    expect(calls).toBeGreaterThan(3);
    expect(hb.signal.aborted).toBe(false);
  });

  it('aborts the job when the lease renewal finds it canceled or taken over', async () => {
    const conflict = new JobStateConflictError('j1', [JobStatus.Running], job);
    const hb = beat(async () => {
      throw conflict;
    });
    await wait(100);
    hb.stop();
    expect(hb.signal.aborted).toBe(true);
    expect(hb.signal.reason).toBe(conflict);
  });

  it('sends no beat after stop(), so a job past its deadline lets its lease lapse', async () => {
    const renew = vi.fn(async () => job);
    const hb = beat(renew);
    hb.stop();
    await wait(150);
    expect(renew).not.toHaveBeenCalled();
  });
});
