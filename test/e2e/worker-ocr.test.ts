/**
 * The whole pipeline with the real worker process, as the container runs it (the esbuild bundle),
 * and the real OCR model: images dropped into
 * `uploads/` end SUCCEEDED with the right text, while bad inputs each fail their own job with a
 * readable reason and the worker carries on.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinal, type Job, JobStatus } from '../../core/job.ts';
import { characterErrorRate } from '../support/cer.ts';
import { createTestStack, type TestStack } from '../support/local-stack.ts';
import { dropUpload, jobInState } from '../support/sleep-jobs.ts';
import { renderTextImage, standardCorpus } from '../support/text-images.ts';
import { buildWorkerBundle, startWorker, type WorkerProcess } from '../support/worker-process.ts';

let stack: TestStack;
let worker: WorkerProcess;
const MAX_INPUT_BYTES = 2 * 1024 * 1024;
const MAX_INPUT_PIXELS = 5_000_000;

beforeAll(async () => {
  stack = await createTestStack();
  worker = await startWorker(
    {
      ...stack.env,
      FERRY_MAX_INPUT_BYTES: String(MAX_INPUT_BYTES),
      FERRY_MAX_INPUT_PIXELS: String(MAX_INPUT_PIXELS),
    },
    { bundle: buildWorkerBundle() },
  );
});

afterAll(async () => {
  expect(await worker?.stop()).toBe(0);
});

const upload = (name: string, body: Uint8Array | string) => dropUpload(stack, `uploads/${name}`, body);

const finalJob = (jobId: string) => jobInState(stack, jobId, (job) => isFinal(job.status), 45_000);

async function readResult(job: Job): Promise<{ result: { text: string; lines: unknown[] } }> {
  const out = await stack.aws.s3.send(
    new GetObjectCommand({ Bucket: job.bucket, Key: String(job.resultKey) }),
  );
  return JSON.parse(await (out.Body?.transformToString() ?? '{}'));
}

describe('worker with the OCR model (emulator)', () => {
  it('reads rendered English text with CER below 5%, and fails each bad input alone with a reason', async () => {
    const corpus = standardCorpus(3);
    const png = await renderTextImage({ lines: corpus[0]?.lines ?? [], seed: 7 });
    const good = await Promise.all(
      corpus.map(async (item, i) => ({
        item,
        jobId: await upload(`${item.name}.png`, await renderTextImage({ lines: item.lines, seed: i + 1 })),
      })),
    );
    const bomb = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#fff' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const poison = {
      empty: await upload('empty.png', new Uint8Array()),
      notAnImage: await upload('notes.png', 'this is plain text, not a picture'),
      corrupt: await upload('corrupt.png', Buffer.concat([png.subarray(0, 64), Buffer.alloc(4096, 7)])),
      truncated: await upload('truncated.png', png.subarray(0, Math.floor(png.length / 2))),
      tooManyPixels: await upload('bomb.png', bomb),
      tooLarge: await upload('large.png', Buffer.alloc(MAX_INPUT_BYTES + 1024, 1)),
    };

    for (const { item, jobId } of good) {
      const job = await finalJob(jobId);
      expect(job, job.error).toMatchObject({
        status: JobStatus.Succeeded,
        executionProvider: 'cpu',
        attempts: 1,
      });
      expect(job.resultKey).toBe(`results/${jobId}.json`);
      expect(job.progress).toEqual({ stage: 'done', done: 1, total: 1, percent: 100 });
      for (const stage of ['queue', 'download', 'preprocess', 'inference', 'upload', 'total'] as const) {
        expect(job.timings?.[stage], stage).toBeGreaterThanOrEqual(0);
      }
      const { result } = await readResult(job);
      const cer = characterErrorRate(item.lines.join('\n'), result.text);
      expect(cer, `expected:\n${item.lines.join('\n')}\nread:\n${result.text}`).toBeLessThan(0.05);
      expect(result.lines.length).toBe(item.lines.length);
    }

    const reasons: Record<keyof typeof poison, RegExp> = {
      empty: /empty/i,
      notAnImage: /not a supported image/i,
      corrupt: /corrupt|truncated|not a supported image/i,
      truncated: /corrupt|truncated/i,
      tooManyPixels: /3000x3000.*over the limit/i,
      tooLarge: /over the limit of 2\.0 MiB/i,
    };
    for (const [name, jobId] of Object.entries(poison) as [keyof typeof poison, string][]) {
      const job = await finalJob(jobId);
      expect(job.status, name).toBe(JobStatus.Failed);
      expect(job.error, name).toMatch(reasons[name]);
      expect(job.errorCode, name).toMatch(/^INVALID_INPUT$/);
    }
  });

  it('fails a job for an unknown task with the list of tasks it can run', async () => {
    const jobId = await dropUpload(
      stack,
      'uploads/unknown-task.png',
      await renderTextImage({ lines: ['hello'] }),
      {
        'ferry-task': 'translate',
      },
    );
    const job = await finalJob(jobId);
    expect(job).toMatchObject({ status: JobStatus.Failed, task: 'translate', errorCode: 'UNKNOWN_TASK' });
    expect(job.error).toMatch(/Unknown task "translate".*ocr/);
  });

  it('reports readiness, the execution provider and job counts', async () => {
    const ready = await (await fetch(`${worker.healthUrl}/readyz`)).json();
    expect(ready).toMatchObject({
      status: 'ready',
      executionProvider: 'cpu',
      cpuFallback: false,
      tasks: ['ocr', 'video-ocr'],
    });
    const metrics = await (await fetch(`${worker.healthUrl}/metrics`)).text();
    expect(metrics).toMatch(/ferry_jobs_total\{outcome="succeeded",task="ocr"\} 3/);
    expect(metrics).toMatch(/ferry_jobs_total\{outcome="failed",task="ocr"\} 6/);
    expect(metrics).toMatch(/ferry_execution_provider_info\{provider="cpu"\} 1/);
    expect(metrics).toMatch(/ferry_inference_duration_seconds_count\{task="ocr"\} 3/);
  });
});
