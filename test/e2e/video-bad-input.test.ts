/**
 * Bad videos each fail their own job with INVALID_INPUT and a sentence saying why, and the worker
 * carries on: empty, over the byte limit, over the duration limit, audio only, not a video,
 * truncated (MP4 without its index; Matroska cut short), a codec nobody decodes, and a Matroska
 * file whose container declares 5 s but which holds 300 s of frames. An image
 * and a VP9 WebM sent right after them succeed.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isFinal, JobStatus } from '../../core/job.ts';
import { createTestStack, type TestStack } from '../support/local-stack.ts';
import { dropUpload, jobInState } from '../support/sleep-jobs.ts';
import { audioOnlyMp4, lyingDurationMkv, slideVideo } from '../support/test-videos.ts';
import { renderTextImage } from '../support/text-images.ts';
import { startWorker, type WorkerProcess } from '../support/worker-process.ts';

const MAX_VIDEO_BYTES = 1024 * 1024;

let stack: TestStack;
let worker: WorkerProcess;
/** The worker's own temporary directory, to see that every input file is deleted. */
let workerTmp: string;

beforeAll(async () => {
  stack = await createTestStack();
  workerTmp = await mkdtemp(path.join(tmpdir(), 'ferry-worker-tmp-'));
  worker = await startWorker({
    ...stack.env,
    TMPDIR: workerTmp,
    FERRY_VIDEO_MAX_BYTES: String(MAX_VIDEO_BYTES),
    FERRY_VIDEO_MAX_DURATION_SEC: '6',
  });
});

afterAll(async () => {
  expect(await worker?.stop()).toBe(0);
  await rm(workerTmp, { recursive: true, force: true });
});

const upload = (name: string, body: Uint8Array | string) => dropUpload(stack, `uploads/${name}`, body);

const finalJob = (jobId: string) => jobInState(stack, jobId, (job) => isFinal(job.status), 60_000);

it('fails each bad video alone with INVALID_INPUT and a reason, then still runs an image and a video', async () => {
  const small = { width: 320, height: 240, slideSec: 2 };
  const [mp4, mkv, long, audio, webm, lying] = await Promise.all([
    slideVideo({ ...small, duration: 4 }).then((v) => readFile(v.file)),
    slideVideo({ ...small, duration: 4, format: 'mkv' }).then((v) => readFile(v.file)),
    slideVideo({ ...small, duration: 8 }).then((v) => readFile(v.file)),
    audioOnlyMp4().then((f) => readFile(f)),
    slideVideo({ ...small, duration: 4, format: 'webm' }).then((v) => readFile(v.file)),
    lyingDurationMkv(300, 5).then((f) => readFile(f)),
  ]);
  expect(mp4.length).toBeLessThan(MAX_VIDEO_BYTES);
  // The sample entry's fourcc names the codec; an unknown one leaves ffmpeg without a decoder.
  const unknownCodec = Buffer.from(mp4.toString('latin1').replaceAll('avc1', 'zzzz'), 'latin1');

  const cases: Record<string, { jobId: string; reason: RegExp }> = {
    empty: { jobId: await upload('empty.mp4', new Uint8Array()), reason: /empty \(0 bytes\)/ },
    tooLarge: {
      jobId: await upload('large.mp4', Buffer.alloc(MAX_VIDEO_BYTES + 1, 1)),
      reason: /over the limit of 1\.0 MiB/,
    },
    tooLong: { jobId: await upload('long.mp4', long), reason: /8 s long, over the limit of 6 s/ },
    audioOnly: { jobId: await upload('audio.mp4', audio), reason: /no video stream/ },
    notAVideo: {
      jobId: await upload('notes.mkv', 'these are notes, not a video'),
      reason: /corrupt or truncated/,
    },
    truncatedMp4: {
      jobId: await upload('cut.mp4', mp4.subarray(0, Math.floor(mp4.length * 0.6))),
      reason: /corrupt or truncated: .*moov atom not found/i,
    },
    truncatedMkv: {
      jobId: await upload('cut.mkv', mkv.subarray(0, Math.floor(mkv.length * 0.5))),
      reason: /corrupt or truncated/,
    },
    unknownCodec: { jobId: await upload('odd.mp4', unknownCodec), reason: /codec "zzzz" is not supported/ },
    // Declared 5 s is under the 6 s limit; the frames run on and are stopped at the limit.
    understated: {
      jobId: await upload('lying.mkv', lying),
      reason: /runs longer than the 5 s its container declares, and past the limit of 6 s/,
    },
  };
  for (const [name, { jobId, reason }] of Object.entries(cases)) {
    const job = await finalJob(jobId);
    expect(job, name).toMatchObject({
      status: JobStatus.Failed,
      task: 'video-ocr',
      errorCode: 'INVALID_INPUT',
    });
    expect(job.error, name).toMatch(reason);
    expect(job.error, name).toMatch(/\.$/);
  }

  const image = await finalJob(await upload('after.png', await renderTextImage({ lines: ['Still here'] })));
  expect(image).toMatchObject({ status: JobStatus.Succeeded, task: 'ocr' });
  const vp9 = await finalJob(await upload('after.webm', webm));
  expect(vp9, vp9.error).toMatchObject({ status: JobStatus.Succeeded, task: 'video-ocr' });
  // Every downloaded input was deleted, whether its job failed or succeeded.
  expect((await readdir(workerTmp)).filter((name) => name.startsWith('ferry-input-'))).toEqual([]);
});
