/**
 * `ferry submit talk.mp4 --wait` with the real worker, ffmpeg and OCR model: a generated 90 s
 * 1280x720 video whose slide text changes every 10 s over a noisy, moving background comes back
 * as a timeline matching the drawn text and times, with a valid WebVTT file; its progress rises
 * monotonically to 100% and the CLI shows it.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebVTTParser } from 'webvtt-parser';
import { main } from '../../cli/main.ts';
import { isFinal, JobStatus } from '../../core/job.ts';
import { type LocalApi, startLocalApi } from '../../functions/api/local-server.ts';
import type { VideoOcrResult } from '../../gpu-worker/tasks/video/index.ts';
import { characterErrorRate } from '../support/cer.ts';
import { realIo } from '../support/cli.ts';
import { createTestStack, type TestStack } from '../support/local-stack.ts';
import { type Slide, slideVideo } from '../support/test-videos.ts';
import { startWorker, type WorkerProcess } from '../support/worker-process.ts';

let API_KEY = '';

let stack: TestStack;
let api: LocalApi;
let worker: WorkerProcess | undefined;
let dir: string;
let slides: Slide[];

beforeAll(async () => {
  stack = await createTestStack();
  API_KEY = stack.client.apiKey;
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  const [video, localApi, started] = await Promise.all([
    slideVideo({ duration: 90, slideSec: 10 }),
    startLocalApi(),
    startWorker(stack.env),
  ]);
  [api, worker, slides] = [localApi, started, video.slides];
  dir = await mkdtemp(path.join(tmpdir(), 'ferry-video-'));
  await copyFile(video.file, path.join(dir, 'talk.mp4'));
});

afterAll(async () => {
  expect(await worker?.stop()).toBe(0);
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('reads the slides of a 90 s video into a timeline and WebVTT, with progress to 100%', async () => {
  const io = realIo({ apiUrl: api.url, apiKey: API_KEY, cwd: dir, pollIntervalMs: 200 });
  // Watch the record while the CLI waits: every progress value the worker wrote, in order.
  const seen: number[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const [running] = (await stack.jobs.list({ status: JobStatus.Running, limit: 1 })).jobs;
      const job = running && (await stack.jobs.get(running.jobId));
      if (job?.progress && seen.at(-1) !== job.progress.percent) seen.push(job.progress.percent);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const code = await main(['submit', 'talk.mp4', '--wait', '--json'], io);
  watching = false;
  await watcher;
  expect(code, io.stderr.text).toBe(0);
  const [outcome] = JSON.parse(io.stdout.text) as Array<{ jobId: string; status: string }>;
  const job = await stack.jobs.get(String(outcome?.jobId));
  expect(job).toMatchObject({ status: JobStatus.Succeeded, task: 'video-ocr', attempts: 1 });
  expect(job && isFinal(job.status)).toBe(true);
  // Frames are read on all threads at once: the stages are wall times that fit in the total.
  const t = job?.timings ?? {};
  expect(t.preprocess, JSON.stringify(t)).toBeGreaterThanOrEqual(0);
  expect((t.preprocess ?? 0) + (t.inference ?? 0), JSON.stringify(t)).toBeLessThanOrEqual((t.total ?? 0) + 1);

  // The CLI showed the job running with its stage and percentage.
  expect(io.stderr.text).toMatch(/talk\.mp4: job [0-9a-f-]{36} RUNNING (decoding|inferring) \d+%/);
  expect(io.stderr.text).toMatch(/talk\.mp4: job [0-9a-f-]{36} SUCCEEDED/);
  // Progress only rose, and ended at 100% on the record.
  expect(seen.length, `progress seen: ${seen}`).toBeGreaterThan(0);
  expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  expect(job?.progress).toMatchObject({ stage: 'done', percent: 100 });

  const jobId = String(job?.jobId);
  expect(job?.resultKeys).toEqual([`results/${jobId}.json`, `results/${jobId}.vtt`]);
  const read = async (key: string) => {
    const out = await stack.aws.s3.send(new GetObjectCommand({ Bucket: stack.outputs.bucket, Key: key }));
    return { body: (await out.Body?.transformToString()) ?? '', contentType: out.ContentType };
  };
  const { result } = JSON.parse((await read(`results/${jobId}.json`)).body) as { result: VideoOcrResult };
  expect(result.video).toMatchObject({
    duration: 90,
    width: 1280,
    height: 720,
    codec: 'h264',
    decoder: 'cpu',
    sampleFps: 1,
    frames: 90,
  });
  expect(result.video.framesDecoded).toBeGreaterThanOrEqual(89);
  // The background moves, the slides do not: most frames are near-duplicates and are not read again.
  expect(result.video.framesKept).toBeLessThan(result.video.framesDecoded / 3);

  expect(result.segments.map((s) => s.text.split('\n')[0])).toEqual(slides.map((s) => s.lines[0]));
  result.segments.forEach((segment, i) => {
    const slide = slides[i] as Slide;
    const cer = characterErrorRate(slide.lines.join('\n'), segment.text);
    expect(cer, `segment ${i}: ${JSON.stringify(segment.text)}`).toBeLessThanOrEqual(0.02);
    expect(Math.abs(segment.start - slide.start), `segment ${i} start`).toBeLessThanOrEqual(1);
    expect(Math.abs(segment.end - slide.end), `segment ${i} end`).toBeLessThanOrEqual(1);
    expect(segment.lines.length).toBe(2);
  });

  const vtt = await read(`results/${jobId}.vtt`);
  expect(vtt.contentType).toMatch(/^text\/vtt/);
  const parsed = new WebVTTParser().parse(vtt.body, 'subtitles/captions/descriptions');
  expect(parsed.errors).toEqual([]);
  expect(parsed.cues.map((c) => [c.startTime, c.endTime, c.text])).toEqual(
    result.segments.map((s) => [s.start, s.end, s.text]),
  );

  // The decoder choice is a metric, as the execution provider is.
  const metrics = await (await fetch(`${worker?.healthUrl}/metrics`)).text();
  expect(metrics).toMatch(/ferry_video_jobs_total\{decoder="cpu"\} 1/);

  // `ferry status` shows the finished job's progress and both result objects.
  const status = realIo({ apiUrl: api.url, apiKey: API_KEY, cwd: dir, pollIntervalMs: 200 });
  expect(await main(['status', jobId], status)).toBe(0);
  expect(status.stdout.text).toMatch(/Progress\s+done .*\(100%\)/);
  expect(status.stdout.text).toContain(`results/${jobId}.vtt`);
});
