/**
 * @module functions/api/openapi
 * The OpenAPI 3.1 document of the HTTP API, generated from the wire contract (core/api/): the
 * zod schemas the handlers validate requests with and whose inferred types they return. Served
 * at `GET /openapi.json`; `npm run openapi` writes it to the repository.
 */
import { z } from 'zod';
import {
  CompletedUploadSchema,
  CompleteUploadSchema,
  CreatedUploadSchema,
  CreateUploadSchema,
  ErrorSchema,
  JobListSchema,
  JobViewSchema,
  ListJobsQuerySchema,
  MultipartPlanSchema,
  PartUrlListSchema,
  PartUrlsQuerySchema,
} from '../../core/api/index.ts';

type JsonSchema = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), json('Error', ERROR_MEANING[code] ?? 'Error')]));

const ERROR_MEANING: Record<number, string> = {
  400: 'A field is missing or wrong; `error.field` names it',
  401: 'No API key was sent',
  403: 'The API key is not valid',
  404: 'No such job (or not yours)',
  409: 'The job is already final (`error.status` says how it ended), or its multipart upload is not open',
  413: 'The body is too large',
  422: 'The uploaded parts are not the declared size (`UPLOAD_SIZE_MISMATCH`): the upload was aborted and the job FAILED',
  429: 'Rate or daily job limit reached; see Retry-After',
};

/** Component schemas from a set of zod schemas, references between them as `$ref`s. */
function components(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const result: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    const { $schema: _drop, $id: _id, ...rest } = schema as JsonSchema;
    result[id] = rest;
  }
  return result;
}

/** Query parameters of a route, one per property of its schema. */
function queryParameters(schema: z.ZodType): unknown[] {
  const converted = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(converted.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: converted.required?.includes(name) ?? false,
    schema: property,
  }));
}

export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const jobId = {
    name: 'jobId',
    in: 'path',
    required: true,
    schema: { type: 'string', maxLength: 64 },
    description: 'The id POST /uploads returned',
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ferry API',
      version: '1',
      description:
        'Upload files for GPU inference (OCR), follow their jobs, fetch results. Live status: the push channel (WebSocket; see the README).',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ apiKey: [] }],
    paths: {
      '/uploads': {
        post: {
          operationId: 'createUpload',
          summary: 'Create a job and get a presigned upload target for its file',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('CreateUploadRequest') } },
          },
          responses: {
            '201': json(
              'CreatedUpload',
              'The job, AWAITING_UPLOAD, and where to upload (a MultipartPlan above the multipart threshold)',
            ),
            ...errors(400, 401, 403, 413, 429),
          },
        },
      },
      '/uploads/{jobId}': {
        delete: {
          operationId: 'abortUpload',
          summary: 'Abort a multipart upload (its parts are deleted); the job ends CANCELED',
          parameters: [jobId],
          responses: { '200': json('Job', 'The CANCELED job'), ...errors(400, 401, 403, 404, 409, 429) },
        },
      },
      '/uploads/{jobId}/parts': {
        get: {
          operationId: 'partUrls',
          summary: 'Presigned URLs of more parts of a multipart upload, a page at a time',
          parameters: [jobId, ...queryParameters(PartUrlsQuerySchema)],
          responses: {
            '200': json('PartUrlList', 'Part URLs from part `from`'),
            ...errors(400, 401, 403, 404, 409, 429),
          },
        },
      },
      '/uploads/{jobId}/complete': {
        post: {
          operationId: 'completeUpload',
          summary: 'Join the uploaded parts into the file; ingest then queues the job',
          parameters: [jobId],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('CompleteUploadRequest') } },
          },
          responses: {
            '200': json('CompletedUpload', 'The file is whole'),
            ...errors(400, 401, 403, 404, 409, 413, 422, 429),
          },
        },
      },
      '/jobs': {
        get: {
          operationId: 'listJobs',
          summary: "The caller's jobs, newest first, paged",
          parameters: queryParameters(ListJobsQuerySchema),
          responses: { '200': json('JobList', 'A page of jobs'), ...errors(400, 401, 403, 429) },
        },
      },
      '/jobs/{jobId}': {
        get: {
          operationId: 'getJob',
          summary: 'One job (with its result when SUCCEEDED)',
          parameters: [jobId],
          responses: { '200': json('Job', 'The job'), ...errors(400, 401, 403, 404, 429) },
        },
        delete: {
          operationId: 'cancelJob',
          summary: 'Cancel a job that has not finished',
          parameters: [jobId],
          responses: { '200': json('Job', 'The CANCELED job'), ...errors(400, 401, 403, 404, 409, 429) },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openApi',
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'The OpenAPI document', content: { 'application/json': {} } } },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Your Ferry API key' } },
      schemas: {
        ...components(
          { CreateUploadRequest: CreateUploadSchema, CompleteUploadRequest: CompleteUploadSchema },
          'input',
        ),
        ...components(
          {
            Job: JobViewSchema,
            JobList: JobListSchema,
            CreatedUpload: CreatedUploadSchema,
            MultipartPlan: MultipartPlanSchema,
            PartUrlList: PartUrlListSchema,
            CompletedUpload: CompletedUploadSchema,
            Error: ErrorSchema,
          },
          'output',
        ),
      },
    },
  };
}
