/**
 * A long video job survives its worker: `kill -9` of the worker half way through, and a second
 * worker takes the job over when the lease lapses, resumes from the last checkpoint (it does not
 * read the video again from the start), and the job ends SUCCEEDED once, with the whole timeline.
 * A video job canceled while it runs stops decoding and writes nothing.
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isFinal, JobStatus } from '../../core/job.ts';
import { checkpointKey } from '../../core/keys.ts';
import type { VideoOcrResult } from '../../gpu-worker/tasks/video/index.ts';
import { characterErrorRate } from '../support/cer.ts';
import { createTestStack, eventually, type TestStack } from '../support/local-stack.ts';
import { dropUpload, jobInState } from '../support/sleep-jobs.ts';
import { type Slide, slideVideo } from '../support/test-videos.ts';
import { startWorker, type WorkerProcess } from '../support/worker-process.ts';

let stack: TestStack;
const workers = new Map<string, WorkerProcess>();

/** Every sampled frame is read (no near-duplicate skipping), so the job is long enough to kill. */
const LONG_JOB_ENV = {
  FERRY_VIDEO_DUPLICATE_THRESHOLD: '0',
  FERRY_CHECKPOINT_SEC: '1',
  FERRY_VISIBILITY_TIMEOUT_SEC: '4',
  FERRY_HEARTBEAT_SEC: '1',
  FERRY_LOG_LEVEL: 'debug',
};

beforeAll(async () => {
  stack = await createTestStack();
  // Both up front: whichever receives the job is killed, the other takes it over.
  await Promise.all(
    ['worker-a', 'worker-b'].map(async (id) =>
      workers.set(id, await startWorker({ ...stack.env, ...LONG_JOB_ENV, FERRY_WORKER_ID: id })),
    ),
  );
});

afterAll(async () => {
  for (const worker of workers.values()) await worker.stop();
});

const framesDecoded = (worker: WorkerProcess, jobId: string) =>
  worker.logs.filter((l) => l.msg === 'video frame decoded' && l.jobId === jobId).length;

it('resumes a video job from its checkpoint after kill -9 of its worker', async () => {
  const video = await slideVideo({ duration: 90, slideSec: 10 });
  const jobId = await dropUpload(stack, 'uploads/long-talk.mp4', await readFile(video.file));

  const running = await jobInState(stack, jobId, (job) => job.status === JobStatus.Running && !!job.workerId);
  const first = workers.get(String(running.workerId)) as WorkerProcess;
  const [secondId, second] = [...workers].find(([id]) => id !== running.workerId) as [string, WorkerProcess];
  await first.waitForLog(
    (l) => l.msg === 'video frame decoded' && l.jobId === jobId && Number(l.frame) >= 45,
    90_000,
  );
  first.child.kill('SIGKILL');
  await first.stop();
  const readByFirst = framesDecoded(first, jobId);
  // The dead worker left a checkpoint behind.
  await stack.aws.s3.send(new HeadObjectCommand({ Bucket: stack.outputs.bucket, Key: checkpointKey(jobId) }));

  const job = await eventually(
    async () => {
      const current = await stack.jobs.get(jobId);
      return current && isFinal(current.status) ? current : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 200 },
  );
  expect(job, job.error).toMatchObject({ status: JobStatus.Succeeded, workerId: secondId, attempts: 2 });
  // The record turns SUCCEEDED before the worker logs it (it still deletes the message first).
  await second.waitForLog((l) => l.msg === 'job succeeded' && l.jobId === jobId, 30_000);
  expect(second.logs.filter((l) => l.msg === 'job succeeded' && l.jobId === jobId)).toHaveLength(1);
  expect(first.logs.filter((l) => l.msg === 'job succeeded' && l.jobId === jobId)).toHaveLength(0);

  const out = await stack.aws.s3.send(
    new GetObjectCommand({ Bucket: stack.outputs.bucket, Key: String(job.resultKey) }),
  );
  const { result } = JSON.parse((await out.Body?.transformToString()) ?? '{}') as { result: VideoOcrResult };
  const readBySecond = framesDecoded(second, jobId);
  expect(result.video.resumedAt).toBeGreaterThan(0);
  // Resumed, not restarted: both workers together decoded well under 1.3 x the video's frames.
  expect(readByFirst).toBeGreaterThanOrEqual(45);
  expect(readByFirst + readBySecond, `first ${readByFirst}, second ${readBySecond}`).toBeLessThan(
    1.3 * result.video.frames,
  );
  expect(result.video.frames).toBe(90);

  expect(result.segments).toHaveLength(video.slides.length);
  result.segments.forEach((segment, i) => {
    const slide = video.slides[i] as Slide;
    expect(characterErrorRate(slide.lines.join('\n'), segment.text), segment.text).toBeLessThanOrEqual(0.02);
    expect(Math.abs(segment.start - slide.start)).toBeLessThanOrEqual(1);
    expect(Math.abs(segment.end - slide.end)).toBeLessThanOrEqual(1);
  });
  // The results exist, so the checkpoint is gone.
  await expect(
    stack.aws.s3.send(new HeadObjectCommand({ Bucket: stack.outputs.bucket, Key: checkpointKey(jobId) })),
  ).rejects.toThrow();
});

it('stops a video job canceled while it runs: ffmpeg ends, no result is written', async () => {
  const video = await slideVideo({ duration: 90, slideSec: 10 });
  const jobId = await dropUpload(stack, 'uploads/canceled-talk.mp4', await readFile(video.file));
  const running = await jobInState(stack, jobId, (job) => job.status === JobStatus.Running && !!job.workerId);
  const holder = workers.get(String(running.workerId)) as WorkerProcess;
  await holder.waitForLog(
    (l) => l.msg === 'video frame decoded' && l.jobId === jobId && Number(l.frame) >= 10,
    60_000,
  );
  await stack.jobs.cancel(jobId);
  await holder.waitForLog((l) => l.msg === 'job changed under us; stopping' && l.jobId === jobId, 30_000);
  const decodedAtStop = framesDecoded(holder, jobId);
  await new Promise((r) => setTimeout(r, 1500));
  expect(framesDecoded(holder, jobId)).toBe(decodedAtStop);
  expect(decodedAtStop).toBeLessThan(90);
  expect((await stack.jobs.get(jobId))?.status).toBe(JobStatus.Canceled);
  await expect(
    stack.aws.s3.send(new HeadObjectCommand({ Bucket: stack.outputs.bucket, Key: `results/${jobId}.json` })),
  ).rejects.toThrow();
});
