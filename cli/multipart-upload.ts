/**
 * @module cli/multipart-upload
 * Sends a file through a multipart plan from `POST /uploads`: parts in parallel, each failed
 * part retried with backoff, byte progress as parts land, then `complete`. Any failure, or
 * Ctrl-C, aborts the upload (`DELETE /uploads/{jobId}`): its parts are deleted and the job ends
 * CANCELED, so nothing is left half-uploaded.
 */
import type { MultipartPlan, PartUrl } from '../functions/api/multipart.ts';
import type { FerryClient } from './client.ts';

export interface MultipartUploadOptions {
  /** Parts in flight at once. @defaultvalue 4 */
  concurrency?: number;
  /** Tries per part before the upload fails. @defaultvalue 4 */
  attempts?: number;
  /** Delay before the 2nd try of a part, doubled each time, in ms. @defaultvalue 500 */
  retryDelayMs?: number;
  /** Aborts the upload (Ctrl-C). */
  signal?: AbortSignal;
  onProgress?(sentBytes: number, partsDone: number): void;
  sleep(ms: number): Promise<void>;
}

/** The upload failed or was interrupted, and was aborted: its job is CANCELED. */
export class MultipartUploadError extends Error {
  override readonly name = 'MultipartUploadError';
  readonly jobId: string;
  constructor(message: string, jobId: string, options?: ErrorOptions) {
    super(message, options);
    this.jobId = jobId;
  }
}

export async function uploadMultipart(
  client: FerryClient,
  jobId: string,
  plan: MultipartPlan,
  /** Bytes [start, end) of the file (past the end: up to the end). */
  read: (start: number, end: number) => Promise<Uint8Array>,
  options: MultipartUploadOptions,
): Promise<void> {
  const { concurrency = 4, attempts = 4, retryDelayMs = 500, signal } = options;
  const urls = new Map<number, string>(plan.parts.map((p: PartUrl) => [p.partNumber, p.url]));
  const etags: { partNumber: number; etag: string }[] = [];
  let sent = 0;
  let next = 1;
  const urlFor = async (partNumber: number) => {
    if (!urls.has(partNumber)) {
      for (const p of await client.partUrls(jobId, partNumber)) urls.set(p.partNumber, p.url);
    }
    return urls.get(partNumber) as string;
  };
  const sendPart = async (partNumber: number) => {
    // Read when sent, so at most `concurrency` parts are in memory whatever the file's size.
    const bytes = await read((partNumber - 1) * plan.partSize, partNumber * plan.partSize);
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        const etag = await client.putPart(await urlFor(partNumber), bytes, signal);
        etags.push({ partNumber, etag });
        sent += bytes.length;
        options.onProgress?.(sent, etags.length);
        return;
      } catch (error) {
        if (signal?.aborted || attempt >= attempts) throw error;
        await options.sleep(retryDelayMs * 2 ** (attempt - 1));
      }
    }
  };
  const lane = async () => {
    while (next <= plan.partCount) await sendPart(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, plan.partCount) }, lane));
    signal?.throwIfAborted();
    await client.completeUpload(jobId, etags);
  } catch (error) {
    // Best effort: if the abort fails too, the bucket's lifecycle rule removes the parts later.
    await client.abortUpload(jobId).catch(() => {});
    const why = signal?.aborted ? 'upload interrupted' : (error as Error).message;
    throw new MultipartUploadError(`${why}; the upload was aborted and the job canceled`, jobId, {
      cause: error,
    });
  }
}
