/**
 * @module core/multipart-upload
 * Sends a file through a multipart plan from `POST /uploads`, for the CLI and the web app alike:
 * parts in parallel, part URLs fetched a page at a time as needed, each failed part retried with
 * backoff, byte progress, then `complete`. Any failure, or an abort (Ctrl-C, a Cancel button),
 * aborts the upload (`DELETE /uploads/{jobId}`): its parts are deleted and the job ends CANCELED,
 * so nothing is left half-uploaded. How a part's bytes travel (fetch, XHR) is the caller's.
 */
import type { CompleteUploadRequest, MultipartPlan, PartUrl } from './api/multipart.ts';
import { FerryError } from './errors.ts';

/** The API calls an upload needs (core/api-client.ts FerryApi, or a wrapper of it). */
export interface MultipartApi {
  partUrls(jobId: string, from: number): Promise<PartUrl[]>;
  completeUpload(jobId: string, parts: CompleteUploadRequest['parts']): Promise<unknown>;
  abortUpload(jobId: string): Promise<unknown>;
}

/**
 * One part to send: bytes [start, end) of the file, exactly the part's planned size (its URL
 * signs that Content-Length, and `complete` refuses a part of another size).
 */
export interface PartToSend {
  partNumber: number;
  url: string;
  start: number;
  end: number;
}

/**
 * Sends one part to its presigned URL, calling `onBytes` with the bytes of this try sent so far
 * (where the transport can tell); resolves with the part's ETag response header and its size.
 */
export type SendPart = (
  part: PartToSend,
  onBytes: (sent: number) => void,
  signal?: AbortSignal,
) => Promise<{ etag: string; bytes: number }>;

export interface MultipartUploadOptions {
  /** Parts in flight at once. @defaultvalue 4 */
  concurrency?: number;
  /** Tries per part before the upload fails. @defaultvalue 4 */
  attempts?: number;
  /** Delay before the 2nd try of a part, doubled each time, in ms. @defaultvalue 500 */
  retryDelayMs?: number;
  /** Aborts the upload. */
  signal?: AbortSignal;
  /** Bytes sent (finished parts plus the parts in flight) and parts finished. */
  onProgress?(sentBytes: number, partsDone: number): void;
  sleep(ms: number): Promise<void>;
}

/** The upload failed or was interrupted, and was aborted: its job is CANCELED. */
export class MultipartUploadError extends FerryError {
  override readonly name = 'MultipartUploadError';
  readonly code = 'UPLOAD_ABORTED';
  readonly jobId: string;
  constructor(message: string, jobId: string, options?: ErrorOptions) {
    super(message, options);
    this.jobId = jobId;
  }
}

export async function uploadMultipart(
  api: MultipartApi,
  jobId: string,
  plan: MultipartPlan,
  sendPart: SendPart,
  options: MultipartUploadOptions,
): Promise<void> {
  const { concurrency = 4, attempts = 4, retryDelayMs = 500, signal } = options;
  const urls = new Map<number, PartUrl>(plan.parts.map((p) => [p.partNumber, p]));
  const etags: CompleteUploadRequest['parts'] = [];
  const inFlight = new Map<number, number>();
  let done = 0;
  let next = 1;
  const report = () => {
    let sent = done;
    for (const bytes of inFlight.values()) sent += bytes;
    options.onProgress?.(sent, etags.length);
  };
  const urlFor = async (partNumber: number) => {
    if (!urls.has(partNumber)) {
      for (const p of await api.partUrls(jobId, partNumber)) urls.set(p.partNumber, p);
    }
    return urls.get(partNumber) as PartUrl;
  };
  const sendOne = async (partNumber: number) => {
    const start = (partNumber - 1) * plan.partSize;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        const { url, size } = await urlFor(partNumber);
        const sent = await sendPart(
          { partNumber, url, start, end: start + size },
          (bytes) => {
            inFlight.set(partNumber, bytes);
            report();
          },
          signal,
        );
        inFlight.delete(partNumber);
        etags.push({ partNumber, etag: sent.etag });
        done += sent.bytes;
        report();
        return;
      } catch (error) {
        inFlight.delete(partNumber);
        if (signal?.aborted || attempt >= attempts) throw error;
        await options.sleep(retryDelayMs * 2 ** (attempt - 1));
      }
    }
  };
  const lane = async () => {
    while (next <= plan.partCount) await sendOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, plan.partCount) }, lane));
    signal?.throwIfAborted();
    await api.completeUpload(jobId, etags);
  } catch (error) {
    // Best effort: if the abort fails too, the bucket's lifecycle rule removes the parts later.
    await api.abortUpload(jobId).catch(() => {});
    const why = signal?.aborted ? 'upload interrupted' : (error as Error).message;
    throw new MultipartUploadError(`${why}; the upload was aborted and the job canceled`, jobId, {
      cause: error,
    });
  }
}
