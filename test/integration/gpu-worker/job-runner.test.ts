/**
 * The runner against the real emulator: a video replaced after ingest (a second PUT to the same
 * key, as a still-valid presigned PUT allows, once the job was queued) fails its job
 * INPUT_CHANGED instead of being read as the job's input. The download asks for the ETag ingest
 * recorded (IfMatch), so no frame of the replacement reaches the task.
 */
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { beforeAll, expect, it } from 'vitest';
import { JobStatus } from '../../../core/job.ts';
import { parseJobMessage } from '../../../core/queue-message.ts';
import { workerConfigFromEnv } from '../../../gpu-worker/config.ts';
import { JobRunner } from '../../../gpu-worker/job-runner.ts';
import { pinoLog } from '../../../gpu-worker/logger.ts';
import { loadJobTasks } from '../../../gpu-worker/tasks/registry.ts';
import { createTestStack, drainQueue, type TestStack } from '../../support/local-stack.ts';
import { dropUpload, jobInState } from '../../support/sleep-jobs.ts';
import { slideVideo } from '../../support/test-videos.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});

it('fails a video replaced under its key after it was queued with INPUT_CHANGED, reading none of it', async () => {
  const small = { width: 320, height: 240, slideSec: 2 };
  const [first, second] = await Promise.all([
    slideVideo({ ...small, duration: 4 }).then((v) => readFile(v.file)),
    slideVideo({ ...small, duration: 6 }).then((v) => readFile(v.file)),
  ]);
  const key = 'uploads/talk.mp4';
  const jobId = await dropUpload(stack, key, first);
  await jobInState(stack, jobId, (job) => job.status === JobStatus.Queued, 20_000);
  await dropUpload(stack, key, second);

  const config = workerConfigFromEnv({ ...stack.env, FERRY_WORKER_ID: 'replaced-test' });
  const inferred: string[] = [];
  const runner = new JobRunner({
    ...stack.aws,
    jobs: stack.jobs,
    pool: {
      executionProvider: 'cpu',
      run: async (task) => {
        inferred.push(task);
        throw new Error('no frame should reach the model');
      },
    },
    tasks: await loadJobTasks([], ['video-ocr'], config.maxInputBytes),
    queueUrl: stack.outputs.queueUrl,
    config,
    log: pinoLog(pino({ level: 'silent' })),
  });
  const message = (await drainQueue(stack, { waitSec: 1 })).find(
    (m) => parseJobMessage(m.Body)?.jobId === jobId,
  );
  expect(message, 'the first upload queued its job').toBeDefined();
  const outcome = await runner.run(
    { ...message, Attributes: { ApproximateReceiveCount: '1' } },
    new AbortController().signal,
  );

  expect(outcome.outcome).toBe('failed');
  expect(await stack.jobs.get(jobId)).toMatchObject({
    status: JobStatus.Failed,
    task: 'video-ocr',
    errorCode: 'INPUT_CHANGED',
    error: expect.stringMatching(/was replaced after it was uploaded/),
  });
  expect(inferred).toEqual([]);
});
