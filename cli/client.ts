/**
 * @module cli/client
 * The CLI's client: the package's typed API client (core/api-client.ts) with CLI errors, plus
 * the upload to a presigned URL (streamed, reporting progress) and the result download.
 */
import {
  type CompletedUpload,
  type CreatedUpload,
  type CreateUploadBody,
  FerryApi,
  FerryApiError,
  FerryUnreachableError,
  type JobListView,
  type JobView,
  type ListJobsParams,
  type PartUrl,
  summarise,
  type UploadTarget,
} from '../core/api-client.ts';
import type { ApiConfig } from './config.ts';
import { CliConfigError, TransferError } from './errors.ts';

export type { CreatedUpload, CreateUploadBody, JobListView, JobView, UploadTarget };

/** Bytes per chunk of an upload body (also the progress granularity). */
const UPLOAD_CHUNK_BYTES = 64 * 1024;

export class FerryClient {
  readonly #fetch: typeof fetch;
  /** The JSON calls go through the package's typed client (core/api-client.ts). */
  readonly #api: FerryApi;

  constructor(config: ApiConfig, fetchImpl: typeof fetch) {
    this.#fetch = fetchImpl;
    this.#api = new FerryApi(config, fetchImpl);
  }

  createUpload(body: CreateUploadBody): Promise<CreatedUpload> {
    return this.#call((api) => api.createUpload(body));
  }

  getJob(jobId: string): Promise<JobView> {
    return this.#call((api) => api.getJob(jobId));
  }

  listJobs(query: ListJobsParams): Promise<JobListView> {
    return this.#call((api) => api.listJobs(query));
  }

  cancelJob(jobId: string): Promise<JobView> {
    return this.#call((api) => api.cancelJob(jobId));
  }

  /** More part URLs of a job's multipart upload, from part `from`. */
  partUrls(jobId: string, from: number): Promise<PartUrl[]> {
    return this.#call((api) => api.partUrls(jobId, from));
  }

  completeUpload(jobId: string, parts: { partNumber: number; etag: string }[]): Promise<CompletedUpload> {
    return this.#call((api) => api.completeUpload(jobId, parts));
  }

  /** Aborts a multipart upload; the job ends CANCELED. */
  abortUpload(jobId: string): Promise<JobView> {
    return this.#call((api) => api.abortUpload(jobId));
  }

  /** PUTs one part to its presigned URL; resolves with the part's ETag. */
  async putPart(url: string, bytes: Uint8Array, signal?: AbortSignal): Promise<string> {
    const res = await this.#fetch(url, { method: 'PUT', body: bytes, ...(signal ? { signal } : {}) });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new TransferError(
        res.status,
        `Part upload refused by storage: HTTP ${res.status} ${summarise(text)}`,
      );
    }
    await res.body?.cancel();
    const etag = res.headers.get('etag');
    if (!etag)
      throw new TransferError(
        res.status,
        'Storage sent no ETag for the part (check the bucket CORS ExposeHeaders)',
      );
    return etag;
  }

  /** Uploads `data` to a presigned PUT target, calling `onProgress` with bytes handed to the connection. */
  async upload(
    target: UploadTarget,
    data: Uint8Array,
    onProgress?: (sentBytes: number) => void,
  ): Promise<void> {
    if (target.method !== 'PUT') throw new Error(`The CLI uploads with PUT, not ${target.method}`);
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= data.length) {
          controller.close();
          return;
        }
        const chunk = data.subarray(offset, offset + UPLOAD_CHUNK_BYTES);
        offset += chunk.length;
        controller.enqueue(chunk);
        onProgress?.(offset);
      },
    });
    const res = await this.#fetch(target.url, {
      method: 'PUT',
      headers: { ...target.headers, 'Content-Length': String(data.length) },
      body,
      duplex: 'half',
    } as RequestInit);
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new TransferError(res.status, `Upload refused by storage: HTTP ${res.status} ${summarise(text)}`);
    }
    await res.body?.cancel();
  }

  /** The result JSON of a SUCCEEDED job: inline when the API included it, else downloaded. */
  async result(job: JobView): Promise<unknown> {
    if (!job.result)
      throw new FerryApiError(409, 'NO_RESULT', `Job ${job.jobId} has no result (${job.status})`);
    if (job.result.data !== undefined) return job.result.data;
    const res = await this.#fetch(job.result.url);
    if (!res.ok) throw new TransferError(res.status, `Result download failed: HTTP ${res.status}`);
    return res.json();
  }

  /** A typed-client call, its errors turned into the CLI's. */
  async #call<T>(call: (api: FerryApi) => Promise<T>): Promise<T> {
    try {
      return await call(this.#api);
    } catch (error) {
      if (error instanceof FerryUnreachableError) throw new CliConfigError(error.message);
      throw error;
    }
  }
}
