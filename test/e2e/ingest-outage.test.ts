/**
 * Nothing is lost at ingest when DynamoDB is unreachable for 2 minutes. The ingest function and
 * the worker reach the emulator through a proxy that resets every DynamoDB connection during the
 * outage (S3 and SQS still answer). 50 files dropped meanwhile fail ingest; after its async
 * retries (MiniStack: about 1 s and 2 s; Lambda: about 1 and 2 minutes) each event lands on the
 * ingest failures queue. Within one reconciler period of the outage's end the worker's sweep
 * replays them: every upload becomes one job, and each runs once to SUCCEEDED.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IngestRecoveryStats } from '../../core/ingest/recovery-stats.ts';
import { JobStatus } from '../../core/job.ts';
import { type CountingProxy, routeFunctionThrough, startCountingProxy } from '../support/aws-proxy.ts';
import { createTestStack, eventually, type TestStack } from '../support/local-stack.ts';
import { dropUpload, jobInState, SLEEP_METADATA, startSleepWorker } from '../support/sleep-jobs.ts';
import type { WorkerProcess } from '../support/worker-process.ts';

const OUTAGE_MS = 120_000;
const UPLOADS = 50;
const IN_FLIGHT = 10;
/** The worker's reconciler period, in seconds: the replay runs in it. */
const RECONCILE_SEC = 10;

let stack: TestStack;
let proxy: CountingProxy;
let worker: WorkerProcess;
const ingestFunction = () => stack.outputs.table.replace('ferry-jobs', 'ferry-ingest');

beforeAll(async () => {
  stack = await createTestStack();
  proxy = await startCountingProxy(stack.env.AWS_ENDPOINT_URL as string);
  // The ingest function's AWS calls go through the proxy too (only its endpoint changes).
  await routeFunctionThrough(stack.env, ingestFunction(), proxy.url);
  worker = await startSleepWorker(stack, {
    AWS_ENDPOINT_URL: proxy.url,
    FERRY_HEARTBEAT_SEC: '0.5',
    FERRY_RECONCILE_SEC: String(RECONCILE_SEC),
    FERRY_MAX_IN_FLIGHT: '8',
    // The worker rides the outage out instead of giving up on its calls.
    FERRY_AWS_RETRY_SEC: '300',
  });
});

afterAll(async () => {
  await worker?.stop();
  await proxy?.close();
});

async function dropAll(prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(IN_FLIGHT, n - i) }, (_, j) =>
      dropUpload(stack, `uploads/${prefix}-${i + j}.json`, JSON.stringify({ ms: 50 }), { ...SLEEP_METADATA }),
    );
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

describe('ingest outage', () => {
  test(
    'uploads made while ingest cannot reach DynamoDB all become one job each and SUCCEEDED',
    async () => {
      // Through the proxy, ingest works: one upload before the outage runs as usual.
      const [first] = await dropAll('before', 1);
      await jobInState(stack, first as string, (j) => j.status === JobStatus.Succeeded, 60_000);

      proxy.cut('DynamoDB');
      const outageStarted = Date.now();
      const ids = await dropAll('during', UPLOADS);
      await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - outageStarted)));
      // Still no job: ingest could not write one, so each event is on the failures queue.
      expect((await Promise.all(ids.map((id) => stack.jobs.get(id)))).filter(Boolean)).toEqual([]);
      proxy.restore();
      const outageEnded = Date.now();

      // Within one reconciler period (plus the worker's own backoff and a replay's run), every
      // upload is a job again.
      await eventually(
        async () =>
          (await Promise.all(ids.map((id) => stack.jobs.get(id)))).every(Boolean) ? true : undefined,
        { timeoutMs: (RECONCILE_SEC + 20) * 1000, intervalMs: 500 },
      );
      const recoveredMs = Date.now() - outageEnded;
      const finals = await Promise.all(
        ids.map((id) => jobInState(stack, id, (j) => j.status === JobStatus.Succeeded, 120_000)),
      );
      expect(finals.map((j) => j.status)).toEqual(ids.map(() => JobStatus.Succeeded));
      // Each ran once (one success line per job) and none was made twice (one id per upload).
      const succeeded = worker.logs.filter((l) => l.msg === 'job succeeded').map((l) => String(l.jobId));
      for (const id of ids) expect(succeeded.filter((s) => s === id)).toHaveLength(1);
      expect(new Set(finals.map((j) => j.key)).size).toBe(UPLOADS);
      const stats = await new IngestRecoveryStats({
        dynamo: stack.aws.dynamo,
        table: stack.outputs.clientsTable,
      }).read();
      expect(stats.replayed).toBeGreaterThanOrEqual(1);
      console.info(
        `ingest outage: ${UPLOADS} uploads were jobs again ${recoveredMs} ms after the outage ended`,
      );
    },
    OUTAGE_MS + 240_000,
  );
});
