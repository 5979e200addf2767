/**
 * @module core/api/jobs
 * A job as the API shows it (`GET /jobs/{id}`, `GET /jobs`, `DELETE /jobs/{id}`, and the job a
 * multipart abort cancels): the record minus the fields only Ferry's internals use (worker
 * lease, queue message id, TTL, bucket), plus where to download its result. The schema is the
 * one statement of the view; `toJobView` takes its fields from it.
 */
import { z } from 'zod';
import { type Job, JobStatus } from '../job.ts';
import { JobErrorCodeSchema, JobProgressSchema, JobStatusSchema, Timestamp } from './fields.ts';

/** Where to download a SUCCEEDED job's result, and the result itself when it is small. */
export const ResultViewSchema = z.object({
  url: z.string().describe('Presigned GET URL of the result JSON'),
  /** When `url` stops working. */
  expiresAt: Timestamp,
  /** Size of the result JSON in bytes, when known. */
  bytes: z.number().int().optional(),
  /** The parsed result JSON, when it is at most `resultInlineMaxBytes`. */
  data: z.unknown().optional().describe('The result JSON itself, when small'),
});
export type ResultView = z.infer<typeof ResultViewSchema>;

export const JobViewSchema = z.object({
  jobId: z.string(),
  status: JobStatusSchema,
  task: z.string(),
  key: z.string().describe("The uploaded object's key"),
  size: z.number().int().optional(),
  contentType: z.string().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  queuedAt: Timestamp.optional(),
  startedAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
  /** How many times a worker has claimed the job. */
  attempts: z.number().int(),
  error: z.string().optional().describe('A sentence a user can act on (FAILED jobs)'),
  errorCode: JobErrorCodeSchema.optional(),
  timings: z.record(z.string(), z.number()).optional().describe('Milliseconds per stage'),
  executionProvider: z.string().optional(),
  resultKey: z.string().optional(),
  resultKeys: z
    .array(z.string())
    .optional()
    .describe('Every result object (a video job also has its WebVTT file)'),
  result: ResultViewSchema.optional(),
  webhookUrl: z.string().optional(),
  timeoutSec: z.number().optional().describe('Run-time deadline asked for, in seconds'),
  /** Outcome of the latest webhook delivery attempt. */
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
  /** Stage, units done of total, overall percent; 100 once SUCCEEDED. */
  progress: JobProgressSchema.optional().describe('Progress of a long job, when its task reports one'),
});
export type JobView = z.infer<typeof JobViewSchema>;

/** The view's fields the record holds as they are: all but `result`. */
type RecordField = Exclude<keyof JobView, 'result'>;
const RECORD_FIELDS = Object.keys(JobViewSchema.shape).filter(
  (field): field is RecordField => field !== 'result',
);

/** The public JSON of a job, with its result's download when given. */
export function toJobView(job: Job, result?: ResultView): JobView {
  const fields = Object.fromEntries(
    RECORD_FIELDS.filter((field) => job[field] !== undefined).map((field) => [field, job[field]]),
  ) as Pick<Job, RecordField>;
  // Assigned, not cast: a record field of a type the view does not accept fails to compile here.
  const view: JobView = fields;
  return result ? { ...view, result } : view;
}

export const JobListSchema = z.object({
  jobs: z.array(JobViewSchema),
  cursor: z.string().optional().describe('Pass as `cursor` for the next page; absent on the last page'),
});
export type JobListView = z.infer<typeof JobListSchema>;

export const LIST_LIMITS = { default: 20, max: 100 } as const;

/** Query of `GET /jobs`. */
export const ListJobsQuerySchema = z.strictObject({
  status: z.enum(JobStatus, { message: `must be one of ${Object.values(JobStatus).join(', ')}` }).optional(),
  limit: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, `must be 1..${LIST_LIMITS.max}`)
    .max(LIST_LIMITS.max, `must be 1..${LIST_LIMITS.max}`)
    .default(LIST_LIMITS.default),
  cursor: z.string().min(1, 'must not be empty').max(4096, 'is too long').optional(),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuerySchema>;
