/**
 * @module gpu-worker/input-file
 * The one download of a job's input. It asks S3 for the object ingest recorded (`IfMatch` on its
 * ETag), so an object replaced under the same key since (through a presigned PUT that is still
 * valid, say) fails the job INPUT_CHANGED instead of being read as the job's input. An object up
 * to `inMemoryMaxBytes` is read into memory; a larger one (a video of gigabytes) is streamed to a
 * temporary file. Either way the task may ask for bytes or for a path; whatever the download
 * wrote is deleted by `remove()`, which the runner calls after the job, whatever the outcome.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type GetObjectCommandOutput, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { InvalidInputError, JobRejectedError } from '../core/errors.ts';
import { formatBytes } from '../core/format-bytes.ts';
import { type Job, JobErrorCode } from '../core/job.ts';

/** A downloaded input: in memory or in a temporary file, readable either way. */
export interface InputFile {
  /** Bytes. */
  size: number;
  contentType?: string;
  /** The whole input (read from the temporary file when it went to disk). */
  bytes(): Promise<Uint8Array>;
  /** A file holding the input (written on first call when it went to memory). */
  path(): Promise<string>;
  /** Deletes any temporary file. */
  remove(): Promise<void>;
}

export interface DownloadOptions {
  /** Largest input accepted, in bytes; a larger object is refused before its body is read. */
  maxBytes: number;
  /** Largest input read into memory, in bytes; a larger one is streamed to a temporary file. */
  inMemoryMaxBytes: number;
  signal: AbortSignal;
  /** Called as bytes arrive. */
  onBytes?(done: number, total: number): void;
}

export async function downloadInput(s3: S3Client, job: Job, options: DownloadOptions): Promise<InputFile> {
  const out = await getRecordedObject(s3, job, options.signal);
  const total = out.ContentLength ?? 0;
  if (total > options.maxBytes) {
    await out.Body?.transformToWebStream().cancel();
    throw new InvalidInputError(
      `The file is ${formatBytes(total)}, over the limit of ${formatBytes(options.maxBytes)}.`,
    );
  }
  if (!out.Body) throw new Error(`S3 returned no body for ${job.key}`);
  const contentType = out.ContentType ? { contentType: out.ContentType } : {};
  const temporary = lazyTempDir();
  if (total <= options.inMemoryMaxBytes) {
    const bytes = await out.Body.transformToByteArray();
    options.onBytes?.(bytes.byteLength, total);
    let file: Promise<string> | undefined;
    return {
      size: bytes.byteLength,
      ...contentType,
      bytes: async () => bytes,
      path: () => {
        file ??= temporary.file().then(async (name) => {
          await writeFile(name, bytes);
          return name;
        });
        return file;
      },
      remove: temporary.remove,
    };
  }
  const file = await temporary.file();
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
    await temporary.remove();
    throw error;
  }
  return {
    size: done,
    ...contentType,
    bytes: () => readFile(file),
    path: async () => file,
    remove: temporary.remove,
  };
}

/** GetObject of the version ingest recorded, its failures turned into the job's error codes. */
function getRecordedObject(s3: S3Client, job: Job, signal: AbortSignal): Promise<GetObjectCommandOutput> {
  const where = `s3://${job.bucket}/${job.key}`;
  return s3
    .send(
      new GetObjectCommand({
        Bucket: job.bucket,
        Key: job.key,
        ...(job.etag ? { IfMatch: `"${job.etag}"` } : {}),
      }),
      { abortSignal: signal },
    )
    .catch((error: unknown) => {
      if (error instanceof NoSuchKey) {
        throw new JobRejectedError(JobErrorCode.InputMissing, `The input ${where} no longer exists.`);
      }
      if ((error as { name?: string }).name === 'PreconditionFailed') {
        throw new JobRejectedError(
          JobErrorCode.InputChanged,
          `The input ${where} was replaced after it was uploaded; submit the new file as a new job.`,
        );
      }
      throw error;
    });
}

/** One temporary directory, made on first use; `remove` is safe to call whether or not it was. */
function lazyTempDir(): { file(): Promise<string>; remove(): Promise<void> } {
  let dir: Promise<string> | undefined;
  return {
    file: async () => {
      dir ??= mkdtemp(path.join(tmpdir(), 'ferry-input-'));
      return path.join(await dir, 'input');
    },
    remove: async () => {
      if (dir) await rm(await dir, { recursive: true, force: true });
    },
  };
}
