/**
 * @module bench/rows/video
 * Row "video": the real worker process reads generated slide videos (text changing every 10 s
 * over a noisy background with a moving square, 1280x720) end to end: S3 drop -> ingest ->
 * worker -> timeline. Per video, a fresh worker, so its peak RSS (VmHWM) belongs to that video
 * alone: memory must not grow with the video's length.
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { isFinal, type Job } from '../../core/job.ts';
import { deriveJobId } from '../../core/keys.ts';
import type { VideoOcrResult } from '../../gpu-worker/tasks/video/index.ts';
import { slideVideo } from '../../test/support/test-videos.ts';
import { buildWorkerBundle, startWorker } from '../../test/support/worker-process.ts';
import { processMemory } from '../memory.ts';
import { type BenchStack, sleep, warmIngest } from '../stack.ts';

export interface VideoRun {
  durationSec: number;
  /** Sampled frames the decoder delivered, per wall second of the job (claim to finished). */
  framesPerSec: number;
  /** Video seconds per wall second of the job. */
  realTimeFactor: number;
  framesDecoded: number;
  framesRead: number;
  wallSec: number;
  /** The worker process's peak resident set, MiB. */
  workerPeakMiB: number;
  decoder: string;
  segments: number;
}

export interface VideoResult {
  sampleFps: number;
  runs: VideoRun[];
}

export interface VideoRowOptions {
  stack: BenchStack;
  /** Lengths of the videos, seconds. */
  durations: number[];
  workerEnv: Record<string, string>;
  log: (line: string) => void;
}

export async function runVideo(o: VideoRowOptions): Promise<VideoResult> {
  await warmIngest(o.stack, 1);
  const runs: VideoRun[] = [];
  const bundle = buildWorkerBundle();
  for (const duration of o.durations) {
    o.log(`video: generating a ${duration} s slide video`);
    const video = await slideVideo({ duration, slideSec: 10 });
    const worker = await startWorker({ ...o.stack.env, ...o.workerEnv }, { bundle });
    try {
      const key = `uploads/bench-${duration}s-${Date.now()}.mp4`;
      const put = await o.stack.s3.send(
        new PutObjectCommand({ Bucket: o.stack.outputs.bucket, Key: key, Body: await readFile(video.file) }),
      );
      const jobId = deriveJobId({ bucket: o.stack.outputs.bucket, key, etag: String(put.ETag) });
      let job: Job | undefined;
      const deadline = Date.now() + Math.max(120_000, duration * 2000);
      while (!(job && isFinal(job.status))) {
        if (Date.now() > deadline) throw new Error(`video job ${jobId} not final in time`);
        await sleep(250);
        job = await o.stack.jobs.get(jobId);
      }
      if (job.status !== 'SUCCEEDED') throw new Error(`video job ${jobId} ${job.status}: ${job.error}`);
      const peak = processMemory(worker.child.pid as number)?.peakMiB ?? Number.NaN;
      const out = await o.stack.s3.send(
        new GetObjectCommand({ Bucket: job.bucket, Key: String(job.resultKey) }),
      );
      const { result } = JSON.parse((await out.Body?.transformToString()) ?? '{}') as {
        result: VideoOcrResult;
      };
      const wallSec = (Date.parse(String(job.finishedAt)) - Date.parse(String(job.startedAt))) / 1000;
      runs.push({
        durationSec: result.video.duration,
        framesPerSec: result.video.framesDecoded / wallSec,
        realTimeFactor: result.video.duration / wallSec,
        framesDecoded: result.video.framesDecoded,
        framesRead: result.video.framesRead,
        wallSec,
        workerPeakMiB: peak,
        decoder: result.video.decoder,
        segments: result.segments.length,
      });
      o.log(`video: ${duration} s in ${wallSec.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MiB`);
    } finally {
      await worker.stop();
    }
  }
  return { sampleFps: Number(o.workerEnv.FERRY_VIDEO_SAMPLE_FPS ?? 1), runs };
}
