/**
 * core/api/jobs toJobView: the public JSON of a job is the record's view fields (those of
 * JobViewSchema) and nothing of Ferry's internals, and it passes the schema the OpenAPI document
 * is generated from.
 */
import { describe, expect, it } from 'vitest';
import { JobViewSchema, toJobView } from '../../../../core/api/jobs.ts';
import { type Job, JobErrorCode, JobStatus } from '../../../../core/job.ts';

const job: Job = {
  jobId: 'j1',
  status: JobStatus.Failed,
  task: 'ocr',
  bucket: 'ferry-bucket',
  key: 'uploads/acme/j1/a.png',
  size: 10,
  etag: '"e"',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:02.000Z',
  attempts: 2,
  workerId: 'w1',
  leaseExpiresAt: 5,
  messageId: 'm1',
  sendClaimId: 's1',
  multipartUploadId: 'u1',
  error: 'The file is not an image',
  errorCode: JobErrorCode.InvalidInput,
  timings: { queue: 3, total: 9 },
  metadata: { order: '7' },
  clientId: 'acme',
  expiresAt: 1,
};

describe('toJobView', () => {
  it('shows the public fields and none of the internals', () => {
    const view = toJobView(job);
    expect(view).toEqual({
      jobId: 'j1',
      status: 'FAILED',
      task: 'ocr',
      key: 'uploads/acme/j1/a.png',
      size: 10,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:02.000Z',
      attempts: 2,
      error: 'The file is not an image',
      errorCode: 'INVALID_INPUT',
      timings: { queue: 3, total: 9 },
      metadata: { order: '7' },
    });
    expect(JobViewSchema.strict().parse(view)).toEqual(view);
  });

  it('adds the result download when given', () => {
    const result = { url: 'https://r', expiresAt: '2026-01-01T01:00:00.000Z', bytes: 2, data: {} };
    expect(toJobView({ ...job, status: JobStatus.Succeeded }, result)).toMatchObject({ result });
  });
});
