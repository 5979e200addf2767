/**
 * The worker's S3 edges, with a stubbed client: the one download of a job's input (streamed to a
 * temporary file when large, read into memory when small; a missing or oversized object refused
 * before any byte lands), and the checkpoint store (none yet is not an error; any other failure is).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, JobRejectedError } from '../../../core/errors.ts';
import { type Job, JobStatus } from '../../../core/job.ts';
import { checkpointStore } from '../../../gpu-worker/checkpoints.ts';
import { type DownloadOptions, downloadInput } from '../../../gpu-worker/input-file.ts';

const s3 = mockClient(S3Client);
const job = { jobId: 'j1', status: JobStatus.Running, bucket: 'b', key: 'uploads/talk.mp4' } as Job;
/** A Node stream with the SDK's body helpers, as GetObject returns in Node. */
const body = (text: string) =>
  Object.assign(Readable.from([Buffer.from(text)]), {
    transformToString: async () => text,
    transformToWebStream: () => new ReadableStream(),
  }) as never;
const signal = new AbortController().signal;
/** Inputs above 4 bytes go to a temporary file. */
const downloadToFile = (client: S3Client, j: Job, options: Omit<DownloadOptions, 'inMemoryMaxBytes'>) =>
  downloadInput(client, j, { ...options, inMemoryMaxBytes: 4 });

beforeEach(() => s3.reset());

describe('downloadInput', () => {
  it('streams the object to a temporary file, reporting bytes, and removes it', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: body('video bytes'),
      ContentLength: 11,
      ContentType: 'video/mp4',
    });
    const seen: number[] = [];
    const file = await downloadToFile(new S3Client({}), job, {
      maxBytes: 100,
      signal,
      onBytes: (done: number) => seen.push(done),
    });
    const filePath = await file.path();
    expect(await readFile(filePath, 'utf8')).toBe('video bytes');
    expect(file).toMatchObject({ size: 11, contentType: 'video/mp4' });
    expect(seen.at(-1)).toBe(11);
    await file.remove();
    expect(existsSync(filePath)).toBe(false);
  });

  it('reads a small object into memory, and writes it to a file only when asked for a path', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: Object.assign(body('png'), {
        transformToByteArray: async () => new Uint8Array(Buffer.from('png')),
      }),
      ContentLength: 3,
    });
    const input = await downloadToFile(new S3Client({}), job, { maxBytes: 100, signal });
    expect(Buffer.from(await input.bytes()).toString()).toBe('png');
    const filePath = await input.path();
    expect(await readFile(filePath, 'utf8')).toBe('png');
    await input.remove();
    expect(existsSync(filePath)).toBe(false);
  });

  it('refuses an object over the limit before downloading it', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('x'), ContentLength: 2 * 1024 ** 3 });
    await expect(downloadToFile(new S3Client({}), job, { maxBytes: 1024 ** 3, signal })).rejects.toThrow(
      new InvalidInputError('The file is 2.0 GiB, over the limit of 1.0 GiB.'),
    );
  });

  it('fails the job as INPUT_MISSING when the object is gone', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    const error = await downloadToFile(new S3Client({}), job, { maxBytes: 100, signal }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobRejectedError);
    expect(error).toMatchObject({ code: 'INPUT_MISSING' });
  });
});

describe('checkpointStore', () => {
  it('saves the state with who saved it and loads it back', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = checkpointStore(new S3Client({}), 'b', 'j1', 2);
    await store.save({ nextFrame: 45 });
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put?.Key).toBe('results/j1/checkpoint.json');
    s3.on(GetObjectCommand).resolves({ Body: body(String(put?.Body)) });
    expect(await store.load()).toEqual({ nextFrame: 45 });
    expect(JSON.parse(String(put?.Body))).toMatchObject({ jobId: 'j1', attempt: 2 });
  });

  it('has nothing to load before the first checkpoint', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'none', $metadata: {} }));
    expect(await checkpointStore(new S3Client({}), 'b', 'j1', 1).load()).toBeUndefined();
  });

  it('lets other failures through, so the job is retried rather than restarted from zero', async () => {
    const throttled = new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: {} });
    s3.on(GetObjectCommand).rejects(throttled);
    await expect(checkpointStore(new S3Client({}), 'b', 'j1', 2).load()).rejects.toBe(throttled);
  });
});
