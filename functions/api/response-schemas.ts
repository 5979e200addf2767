/**
 * @module functions/api/response-schemas
 * The API's answers as zod schemas, for the OpenAPI document (openapi.ts). Each is checked at
 * compile time against the TypeScript type the handlers return (`covering<T>()`: the schema
 * satisfies the type and names every one of its fields; `satisfies` where every field is
 * required), so the document cannot drift from the code.
 */
import { z } from 'zod';
import { JobStatus } from '../../core/job.ts';
import { PROGRESS_STAGES } from '../../core/progress.ts';
import { type ApiErrorBody, ApiErrorCode } from './errors.ts';
import type { JobView } from './job-view.ts';
import type { JobListView } from './jobs.ts';
import type { CompletedUpload, MultipartPlan, PartUrl, PartUrlPage } from './multipart.ts';
import type { CreatedUpload } from './uploads.ts';

/**
 * Checks a schema against the handler type `T`: `satisfies z.ZodType<T>` alone accepts a schema
 * that leaves out an optional field of `T`, so a missing field is a compile error here too
 * (naming the field in a `missing` property).
 */
const covering =
  <T>() =>
  <S extends z.ZodType<T>>(
    schema: S &
      (Exclude<keyof T, keyof z.output<S>> extends never
        ? unknown
        : { missing: Exclude<keyof T, keyof z.output<S>> }),
  ): S =>
    schema;

const Status = z.enum(Object.values(JobStatus) as [JobStatus, ...JobStatus[]]);
const Timestamp = z.string().describe('ISO 8601 UTC');

export const JobViewSchema = covering<JobView>()(
  z.object({
    jobId: z.string(),
    status: Status,
    task: z.string(),
    key: z.string().describe("The uploaded object's key"),
    size: z.number().int().optional(),
    contentType: z.string().optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    queuedAt: Timestamp.optional(),
    startedAt: Timestamp.optional(),
    finishedAt: Timestamp.optional(),
    attempts: z.number().int(),
    error: z.string().optional().describe('A sentence a user can act on (FAILED jobs)'),
    errorCode: z.string().optional(),
    timings: z.record(z.string(), z.number()).optional().describe('Milliseconds per stage'),
    executionProvider: z.string().optional(),
    resultKey: z.string().optional(),
    resultKeys: z
      .array(z.string())
      .optional()
      .describe('Every result object (a video job also has its WebVTT file)'),
    result: z
      .object({
        url: z.string().describe('Presigned GET URL of the result JSON'),
        expiresAt: Timestamp,
        bytes: z.number().int().optional(),
        data: z.unknown().optional().describe('The result JSON itself, when small'),
      })
      .optional(),
    webhookUrl: z.string().optional(),
    timeoutSec: z.number().optional().describe('Run-time deadline asked for, in seconds'),
    webhook: z
      .object({
        status: z.enum(['delivered', 'failed']),
        attempts: z.number().int(),
        statusCode: z.number().int().optional(),
        error: z.string().optional(),
        at: Timestamp,
      })
      .optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    progress: z
      .object({ stage: z.enum(PROGRESS_STAGES), done: z.number(), total: z.number(), percent: z.number() })
      .optional()
      .describe('Progress of a long job, when its task reports one'),
  }),
);

export const JobListSchema = covering<JobListView>()(
  z.object({
    jobs: z.array(JobViewSchema),
    cursor: z.string().optional().describe('Pass as `cursor` for the next page; absent on the last page'),
  }),
);

const PartUrlSchema = covering<PartUrl>()(
  z.object({ partNumber: z.number().int(), url: z.string().describe('Presigned PUT URL of this part') }),
);

export const MultipartPlanSchema = covering<MultipartPlan>()(
  z.object({
    method: z.literal('MULTIPART'),
    uploadId: z.string(),
    partSize: z.number().int().describe('Bytes in every part but the last'),
    partCount: z.number().int(),
    parts: z
      .array(PartUrlSchema)
      .describe("URLs of the first parts: PUT each part's bytes and keep the ETag response header"),
    partsUrl: z.string().describe('GET it with `?from=N` for the URLs of parts N.. (a page at a time)'),
    completeUrl: z.string().describe('POST `{ parts: [{ partNumber, etag }] }` here when every part is up'),
    abortUrl: z.string().describe('DELETE it to abort the upload; the job ends CANCELED'),
  }),
);

export const PartUrlListSchema = covering<PartUrlPage>()(z.object({ parts: z.array(PartUrlSchema) }));

export const CompletedUploadSchema = covering<CompletedUpload>()(
  z.object({ jobId: z.string(), key: z.string(), etag: z.string().describe("The object's ETag") }),
);

export const CreatedUploadSchema = z.object({
  jobId: z.string(),
  status: z.literal(JobStatus.AwaitingUpload),
  task: z.string(),
  key: z.string(),
  upload: z.discriminatedUnion('method', [
    z.object({ method: z.literal('PUT'), url: z.string(), headers: z.record(z.string(), z.string()) }),
    z.object({ method: z.literal('POST'), url: z.string(), fields: z.record(z.string(), z.string()) }),
    MultipartPlanSchema,
  ]),
  expiresAt: Timestamp,
}) satisfies z.ZodType<CreatedUpload>;

export const ErrorSchema = z.object({
  error: z
    .object({
      code: z.enum(Object.values(ApiErrorCode) as [ApiErrorCode, ...ApiErrorCode[]]),
      message: z.string(),
      field: z.string().optional().describe('The request field at fault'),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    })
    .catchall(z.unknown()),
}) satisfies z.ZodType<ApiErrorBody>;
