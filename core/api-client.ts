/**
 * @module core/api-client
 * The one typed client of Ferry's HTTP API, over `fetch` (Node 22+ and browsers), typed from the
 * wire contract (core/api/) the OpenAPI document is generated from. Exported as the package
 * entry point `ferry/client`; the CLI and the web app use it.
 */
import type {
  CompletedUpload,
  CompleteUploadRequest,
  CreatedUpload,
  CreateUploadBody,
  JobListView,
  JobView,
  ListJobsQuery,
  MultipartPlan,
  PartUrl,
  PartUrlPage,
  ResultView,
  UploadTarget,
} from './api/index.ts';
import { FerryError } from './errors.ts';

export type { PushEvent, PushMessage, PushReply, PushRequest } from './api/push-events.ts';
export { PushWatcher } from './push-client.ts';
export type {
  CompletedUpload,
  CompleteUploadRequest,
  CreatedUpload,
  CreateUploadBody,
  JobListView,
  JobView,
  MultipartPlan,
  PartUrl,
  ResultView,
  UploadTarget,
};

export type ListJobsParams = Partial<ListJobsQuery>;

export interface FerryApiConfig {
  /** Base URL without a trailing slash. */
  apiUrl: string;
  apiKey: string;
}

/** The API answered with an error: its status, code and sentence. */
export class FerryApiError extends FerryError {
  readonly status: number;
  readonly code: string;
  readonly body: unknown;
  constructor(status: number, code: string, message: string, body?: unknown) {
    super(message);
    this.name = 'FerryApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** The API could not be reached at all. */
export class FerryUnreachableError extends FerryError {
  readonly code = 'API_UNREACHABLE';
  readonly apiUrl: string;
  constructor(apiUrl: string, reason: string) {
    super(`Cannot reach the API at ${apiUrl} (${reason})`);
    this.name = 'FerryUnreachableError';
    this.apiUrl = apiUrl;
  }
}

export class FerryApi {
  readonly #config: FerryApiConfig;
  readonly #fetch: typeof fetch;

  constructor(config: FerryApiConfig, fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)) {
    this.#config = config;
    this.#fetch = fetchImpl;
  }

  createUpload(body: CreateUploadBody): Promise<CreatedUpload> {
    return this.request<CreatedUpload>('POST', '/uploads', body);
  }

  getJob(jobId: string): Promise<JobView> {
    return this.request<JobView>('GET', `/jobs/${encodeURIComponent(jobId)}`);
  }

  listJobs(query: ListJobsParams = {}): Promise<JobListView> {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor) params.set('cursor', query.cursor);
    const qs = params.toString();
    return this.request<JobListView>('GET', `/jobs${qs ? `?${qs}` : ''}`);
  }

  cancelJob(jobId: string): Promise<JobView> {
    return this.request<JobView>('DELETE', `/jobs/${encodeURIComponent(jobId)}`);
  }

  /** Presigned URLs of a multipart upload's parts, from part `from` (a page at a time). */
  async partUrls(jobId: string, from: number): Promise<PartUrl[]> {
    const page = await this.request<PartUrlPage>(
      'GET',
      `/uploads/${encodeURIComponent(jobId)}/parts?from=${from}`,
    );
    return page.parts;
  }

  /** Joins the uploaded parts (each with the ETag its PUT answered) into the job's file. */
  completeUpload(jobId: string, parts: CompleteUploadRequest['parts']): Promise<CompletedUpload> {
    return this.request<CompletedUpload>('POST', `/uploads/${encodeURIComponent(jobId)}/complete`, { parts });
  }

  /** Aborts a multipart upload (its parts are deleted); the job ends CANCELED. */
  abortUpload(jobId: string): Promise<JobView> {
    return this.request<JobView>('DELETE', `/uploads/${encodeURIComponent(jobId)}`);
  }

  /** One API call; throws FerryApiError for an error answer, FerryUnreachableError without one. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.#config.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#config.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new FerryUnreachableError(this.#config.apiUrl, reason);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new FerryApiError(
        res.status,
        error?.code ?? `HTTP_${res.status}`,
        error?.message ?? `HTTP ${res.status} ${summarise(text)}`,
        json,
      );
    }
    return json as T;
  }
}

export function summarise(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
