/**
 * @module gpu-worker/input-file
 * Streams a job's input object to a temporary file, so a video of gigabytes never sits in
 * memory; the caller deletes it with `remove()` after the job, whatever the outcome.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { InvalidInputError, JobRejectedError } from '../core/errors.ts';
import { formatBytes } from '../core/format-bytes.ts';
import { type Job, JobErrorCode } from '../core/job.ts';

export interface InputFile {
  path: string;
  size: number;
  contentType?: string;
  remove(): Promise<void>;
}

export interface DownloadOptions {
  maxBytes: number;
  signal: AbortSignal;
  /** Called as bytes arrive. */
  onBytes?(done: number, total: number): void;
}

export async function downloadToFile(s3: S3Client, job: Job, options: DownloadOptions): Promise<InputFile> {
  const out = await s3
    .send(new GetObjectCommand({ Bucket: job.bucket, Key: job.key }), { abortSignal: options.signal })
    .catch((error: unknown) => {
      if (error instanceof NoSuchKey) {
        throw new JobRejectedError(
          JobErrorCode.InputMissing,
          `The input s3://${job.bucket}/${job.key} no longer exists.`,
        );
      }
      throw error;
    });
  const total = out.ContentLength ?? 0;
  if (total > options.maxBytes) {
    await out.Body?.transformToWebStream().cancel();
    throw new InvalidInputError(
      `The file is ${formatBytes(total)}, over the limit of ${formatBytes(options.maxBytes)}.`,
    );
  }
  if (!out.Body) throw new Error(`S3 returned no body for ${job.key}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-input-'));
  const file = path.join(dir, 'input');
  const remove = () => rm(dir, { recursive: true, force: true });
  let done = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      options.onBytes?.(done, total);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(out.Body as NodeJS.ReadableStream, counter, createWriteStream(file), {
      signal: options.signal,
    });
  } catch (error) {
    await remove();
    throw error;
  }
  return { path: file, size: done, ...(out.ContentType ? { contentType: out.ContentType } : {}), remove };
}
