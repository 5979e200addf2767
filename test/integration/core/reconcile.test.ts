/**
 * core/reconcile.ts against the emulator: what it does to each kind of stranded job, and what
 * it leaves alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../core/job.ts';
import { JobStore } from '../../../core/job-store.ts';
import { parseJobMessage } from '../../../core/queue-message.ts';
import { reconcile } from '../../../core/reconcile.ts';
import { createTestStack, drainQueue, type TestStack } from '../../support/local-stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({ withWebhookFunction: false });
});

const HOUR = 3600_000;
const options = { queueTtlSec: 3600, sendClaimStaleSec: 30, orphanAfterSec: 420, maxJobsPerRun: 1000 };

/** A store whose clock reads `agoMs` in the past, to create jobs as they were then. */
const storeAt = (agoMs: number) =>
  new JobStore({
    dynamo: stack.aws.dynamo,
    table: stack.outputs.table,
    now: () => new Date(Date.now() - agoMs),
  });

const queued = (jobId: string, agoMs: number) =>
  storeAt(agoMs).create({
    jobId,
    status: JobStatus.Queued,
    task: 'ocr',
    bucket: stack.outputs.bucket,
    key: `uploads/${jobId}.png`,
  });

describe('reconcile (emulator)', () => {
  it('expires, sends, re-sends and leaves alone exactly the jobs it should', async () => {
    await queued('expired', 2 * HOUR);
    await queued('no-message', 60_000);
    await queued('no-message-young', 1000);
    const withMessage = await queued('with-message', 60_000);
    await stack.jobs.claimSend(withMessage.job.jobId, 'c1', 30_000);
    await stack.jobs.recordEnqueued(withMessage.job.jobId, 'm1', 'c1');
    await queued('orphan', 20 * 60_000);
    await storeAt(10 * 60_000).claim('orphan', 'dead-worker', 60_000);
    await queued('running', 60_000);
    await stack.jobs.claim('running', 'live-worker', 60_000);

    const failed: string[] = [];
    const deps = {
      ...stack.aws,
      queueUrl: stack.outputs.queueUrl,
      jobs: stack.jobs,
      onFailed: async (job: { jobId: string }) => {
        failed.push(job.jobId);
      },
    };
    const report = await reconcile(deps, options);
    expect(report).toEqual({ expired: ['expired'], sent: ['no-message'], resent: ['orphan'] });
    expect(failed).toEqual(['expired']);
    expect(await stack.jobs.get('expired')).toMatchObject({ status: JobStatus.Failed, errorCode: 'EXPIRED' });
    const sent = (await drainQueue(stack)).map((m) => parseJobMessage(m.Body)?.jobId).sort();
    expect(sent).toEqual(['no-message', 'orphan']);
    expect((await stack.jobs.get('no-message'))?.messageId).toBeDefined();

    // A second run right after finds nothing left to do: every step was claimed.
    expect(await reconcile(deps, options)).toEqual({ expired: [], sent: [], resent: [] });
  });
});
