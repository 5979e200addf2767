/**
 * The chaos scenarios, shared by `npm run chaos` (bench/chaos.ts, full size) and their short
 * version in `npm test` (test/e2e/chaos.test.ts). Each runs real worker processes against a test stack with
 * the fast sleep task, injects one fault, and reports whether every upload ended SUCCEEDED
 * exactly once, how long the pipeline took to recover, and whether the worker (or its
 * replacement) is alive.
 */
import { IngestRecoveryStats } from '../../core/ingest/recovery-stats.ts';
import { isFinal, type Job, JobStatus } from '../../core/job.ts';
import { createTestStack, eventually, type TestStack } from './local-stack.ts';
import { addPushChannel, type RecordingWatcher, recordingWatcher } from './push.ts';
import { dropUpload, SLEEP_METADATA, SLEEP_TASK_MODULE } from './sleep-jobs.ts';
import { ChaosProxy } from './tcp-proxy.ts';
import { startWorker, type WorkerProcess } from './worker-process.ts';

export type ScenarioName =
  | 'endpoint-refuses'
  | 'endpoint-hangs'
  | 'kill-9'
  | 'two-workers-one-killed'
  | 'burst';

export interface ScenarioSize {
  /** Uploads in the scenario. */
  jobs: number;
  /** How long a refusing or hanging endpoint stays down, in ms. */
  outageMs: number;
  /** How long each job sleeps in its task, in ms. */
  jobMs: number;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  jobs: number;
  succeeded: number;
  /** Jobs that ran to completion more than once (from the workers' logs). */
  duplicates: number;
  /** From the fault's end (endpoint back, worker killed) to the first job finished after it, in ms. */
  recoveryMs: number | undefined;
  /** From the first upload to the last job final, in ms. */
  totalMs: number;
  workerAlive: boolean;
  /** What /readyz said while the endpoint was down (outage scenarios). */
  readyDuringOutage?: { status: number; failing: string[] };
  failures: string[];
  /** The burst only: what ingest recovery did, and what the watcher subscribed to all jobs saw. */
  burst?: {
    /** Failed S3 events replayed from the ingest failures queue. */
    replayed: number;
    /** uploads/ objects with no job found by the sweep. */
    orphans: number;
    /** Jobs whose final event reached the watcher. */
    finalEvents: number;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Short leases and fast polls: a killed worker's jobs come back in seconds. */
const WORKER_ENV = {
  FERRY_TASK_MODULES: SLEEP_TASK_MODULE,
  FERRY_BUILT_IN_TASKS: '',
  FERRY_VISIBILITY_TIMEOUT_SEC: '3',
  FERRY_HEARTBEAT_SEC: '1',
  FERRY_INFERENCE_THREADS: '2',
  FERRY_RECEIVE_WAIT_SEC: '1',
  FERRY_RECONCILE_SEC: '5',
  FERRY_DLQ_SWEEP_SEC: '5',
};

export async function runScenario(name: ScenarioName, size: ScenarioSize): Promise<ScenarioResult> {
  const stack = await createTestStack();
  const proxy = new ChaosProxy(stack.env.AWS_ENDPOINT_URL as string);
  await proxy.start();
  const workers: WorkerProcess[] = [];
  let watcher: RecordingWatcher | undefined;
  const worker = async (env: Record<string, string> = {}) => {
    const w = await startWorker({ ...stack.env, ...WORKER_ENV, AWS_ENDPOINT_URL: proxy.url, ...env });
    workers.push(w);
    return w;
  };
  try {
    const started = Date.now();
    let faultEndedAt: number | undefined;
    let readyDuringOutage: ScenarioResult['readyDuringOutage'];
    let jobIds: string[];
    if (name === 'endpoint-refuses' || name === 'endpoint-hangs') {
      const w = await worker();
      const first = await uploadJobs(stack, Math.ceil(size.jobs / 2), size.jobMs, 'before');
      await untilSomeRunning(stack, first);
      if (name === 'endpoint-refuses') await proxy.refuse();
      else proxy.hang();
      const during = uploadJobs(stack, size.jobs - first.length, size.jobMs, 'during');
      // Late enough in the outage that a hanging call is overdue (dependency-health.ts).
      const probeAtMs = Math.max(0, Math.min(size.outageMs - 1000, 6000));
      await sleep(probeAtMs);
      readyDuringOutage = await readiness(w);
      await sleep(size.outageMs - probeAtMs);
      await proxy.restore();
      faultEndedAt = Date.now();
      jobIds = [...first, ...(await during)];
    } else if (name === 'kill-9' || name === 'two-workers-one-killed') {
      const a = await worker();
      const b = name === 'two-workers-one-killed' ? await worker() : undefined;
      jobIds = await uploadJobs(stack, size.jobs, size.jobMs, 'kill');
      await untilSomeRunning(stack, jobIds, a);
      await a.stop('SIGKILL');
      faultEndedAt = Date.now();
      if (!b) await worker();
    } else {
      // As a user's `aws s3 cp --recursive` with the push channel on and a watcher of every job.
      const push = await addPushChannel(stack);
      watcher = await recordingWatcher(push.pushUrl, stack.client.apiKey);
      watcher.watcher.subscribe({ all: true });
      await watcher.nextReply();
      await worker({ FERRY_MAX_IN_FLIGHT: '16' });
      // Under the client's prefix, so the jobs are the watcher's client's (core/ingest/owner.ts).
      const prefix = `${stack.client.clientId}/burst`;
      jobIds = await uploadJobs(stack, size.jobs, size.jobMs, prefix, AWS_CLI_CONCURRENCY);
    }
    const finals = await allFinal(stack, jobIds, 120_000 + size.jobs * 200);
    const burst = watcher ? await burstFigures(stack, watcher, jobIds) : undefined;
    const succeededLines = workers.flatMap((w) =>
      w.logs.filter((l) => l.msg === 'job succeeded').map((l) => String(l.jobId)),
    );
    const counts = new Map<string, number>();
    for (const id of succeededLines) counts.set(id, (counts.get(id) ?? 0) + 1);
    const finishedAfter = faultEndedAt
      ? finals.map((j) => Date.parse(j.finishedAt ?? '')).filter((t) => t >= (faultEndedAt as number))
      : [];
    const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    return {
      scenario: name,
      jobs: jobIds.length,
      succeeded: finals.filter((j) => j.status === JobStatus.Succeeded).length,
      duplicates: [...counts.values()].filter((n) => n > 1).length,
      recoveryMs: finishedAfter.length ? Math.min(...finishedAfter) - (faultEndedAt as number) : undefined,
      totalMs: Math.max(...finals.map((j) => Date.parse(j.finishedAt ?? ''))) - started,
      workerAlive: alive.length > 0,
      ...(readyDuringOutage ? { readyDuringOutage } : {}),
      ...(burst ? { burst } : {}),
      failures: finals
        .filter((j) => j.status !== JobStatus.Succeeded)
        .map((j) => `${j.jobId}: ${j.status} ${j.errorCode ?? ''}`),
    };
  } finally {
    if (process.env.FERRY_CHAOS_LOGS) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(
        `${process.env.FERRY_CHAOS_LOGS}/${name}.jsonl`,
        workers.flatMap((w) => w.logs.map((l) => JSON.stringify(l))).join('\n'),
      );
    }
    watcher?.watcher.stop();
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await proxy.close();
  }
}

/** The AWS CLI's default `max_concurrent_requests`. */
const AWS_CLI_CONCURRENCY = 10;

/** PUTs `n` sleep jobs straight to the emulator, `inFlight` at a time; returns their job ids. */
async function uploadJobs(
  stack: TestStack,
  n: number,
  ms: number,
  prefix: string,
  inFlight = 8,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const one = async () => {
    while (next < n) {
      const key = `uploads/${prefix}-${next++}.json`;
      ids.push(await dropUpload(stack, key, JSON.stringify({ ms }), SLEEP_METADATA));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, one));
  return ids;
}

async function burstFigures(
  stack: TestStack,
  watcher: RecordingWatcher,
  jobIds: string[],
): Promise<NonNullable<ScenarioResult['burst']>> {
  // The final events trail the records by the fan-out's delay: give them a few seconds.
  const ids = new Set(jobIds);
  const finalsSeen = () =>
    new Set(
      watcher.received
        .filter((r) => ids.has(r.event.jobId) && isFinal(r.event.status))
        .map((r) => r.event.jobId),
    ).size;
  for (let i = 0; i < 20 && finalsSeen() < jobIds.length; i++) await sleep(500);
  const stats = await new IngestRecoveryStats({
    dynamo: stack.aws.dynamo,
    table: stack.outputs.clientsTable,
  }).read();
  return { replayed: stats.replayed, orphans: stats.orphans, finalEvents: finalsSeen() };
}

async function untilSomeRunning(stack: TestStack, jobIds: string[], by?: WorkerProcess): Promise<void> {
  if (by) {
    await by.waitForLog((l) => l.msg === 'job claimed', 60_000);
    return;
  }
  await eventually(
    async () => {
      for (const id of jobIds) if ((await stack.jobs.get(id))?.status === JobStatus.Running) return true;
      return undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

async function readiness(w: WorkerProcess): Promise<{ status: number; failing: string[] }> {
  const res = await fetch(`${w.healthUrl}/readyz`);
  const body = (await res.json()) as { dependencies?: Record<string, { ok: boolean }> };
  const failing = Object.entries(body.dependencies ?? {})
    .filter(([, s]) => !s.ok)
    .map(([k]) => k);
  return { status: res.status, failing };
}

async function allFinal(stack: TestStack, jobIds: string[], timeoutMs: number): Promise<Job[]> {
  const done = new Map<string, Job>();
  const deadline = Date.now() + timeoutMs;
  while (done.size < jobIds.length && Date.now() < deadline) {
    for (const id of jobIds) {
      if (done.has(id)) continue;
      const job = await stack.jobs.get(id);
      if (job && isFinal(job.status)) done.set(id, job);
    }
    if (done.size < jobIds.length) await sleep(500);
  }
  if (done.size < jobIds.length) {
    const missing = jobIds.filter((id) => !done.has(id));
    throw new Error(`${missing.length} of ${jobIds.length} jobs not final within ${timeoutMs} ms`);
  }
  return jobIds.map((id) => done.get(id) as Job);
}
