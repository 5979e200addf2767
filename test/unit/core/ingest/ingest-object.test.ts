/**
 * Ingest's refusal of an API upload that is not its declared size, with stubbed S3 and SQS and a
 * fake job store: the job fails INVALID_INPUT, the object is deleted, no message is sent; the
 * delete's own failures (replaced since, gone already, S3 down).
 */
import { DeleteObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { JobStateConflictError } from '../../../../core/errors.ts';
import { ingestObject } from '../../../../core/ingest/ingest-object.ts';
import type { StoredObject } from '../../../../core/ingest/resolve-object.ts';
import { type Job, JobErrorCode, JobStatus } from '../../../../core/job.ts';
import type { JobStore } from '../../../../core/job-store.ts';
import { apiUploadKey, newJobId } from '../../../../core/keys.ts';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);

const jobId = newJobId();
const key = apiUploadKey(jobId, 'scan.png');
const waiting: Job = {
  jobId,
  status: JobStatus.AwaitingUpload,
  task: 'ocr',
  bucket: 'b',
  key,
  size: 1000,
  attempts: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: 0,
};
const oversize: StoredObject = { key, size: 2000, etag: 'abc', contentType: 'image/png', metadata: {} };
const SENTENCE = 'The upload does not match its declared size: uploaded 2000 bytes, declared 1000';

/** A store whose markUploaded refuses as DynamoDB does when the size condition fails. */
function fakeStore(current: Job, refuse: (jobId: string, failure: Partial<Job>) => Promise<Job>) {
  return {
    markUploaded: vi.fn(async () => {
      throw new JobStateConflictError(jobId, [JobStatus.AwaitingUpload], current);
    }),
    refuseUpload: vi.fn(refuse),
  };
}

const failedWith = async (_id: string, failure: Partial<Job>): Promise<Job> => ({
  ...waiting,
  ...failure,
  status: JobStatus.Failed,
});

function deps(jobs: ReturnType<typeof fakeStore>) {
  return { s3: new S3Client({}), sqs: new SQSClient({}), jobs: jobs as unknown as JobStore, queueUrl: 'q' };
}

function s3Error(name: string, httpStatusCode: number) {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode } });
}

beforeEach(() => {
  s3.reset();
  sqs.reset();
});

describe('ingestObject, an API upload of another size than declared', () => {
  it('fails the job INVALID_INPUT, deletes exactly that object and sends no message', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    const jobs = fakeStore(waiting, failedWith);
    const result = await ingestObject(deps(jobs), 'b', oversize);
    expect(result.outcome).toBe('refused');
    expect(result.job).toMatchObject({ status: JobStatus.Failed, errorCode: JobErrorCode.InvalidInput });
    expect(jobs.refuseUpload).toHaveBeenCalledWith(jobId, {
      error: `${SENTENCE}; the object was deleted`,
      errorCode: JobErrorCode.InvalidInput,
    });
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'b',
      Key: key,
      IfMatch: '"abc"',
    });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('deletes the version where the bucket keeps versions', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    await ingestObject(deps(fakeStore(waiting, failedWith)), 'b', { ...oversize, versionId: 'v1' });
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'b',
      Key: key,
      VersionId: 'v1',
    });
  });

  it('deletes again on a retried event, where the job is FAILED already and the object gone (404)', async () => {
    s3.on(DeleteObjectCommand).rejects(s3Error('NoSuchKey', 404));
    const failed = await failedWith(jobId, { error: SENTENCE, errorCode: JobErrorCode.InvalidInput });
    const jobs = fakeStore(failed, failedWith);
    const result = await ingestObject(deps(jobs), 'b', oversize);
    expect(result).toMatchObject({ outcome: 'refused', job: { status: JobStatus.Failed } });
    expect(jobs.refuseUpload).not.toHaveBeenCalled();
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('leaves an object replaced since (412) where it is', async () => {
    s3.on(DeleteObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    const result = await ingestObject(deps(fakeStore(waiting, failedWith)), 'b', oversize);
    expect(result.outcome).toBe('refused');
  });

  it('throws when S3 fails the delete otherwise, so the event is retried', async () => {
    s3.on(DeleteObjectCommand).rejects(s3Error('InternalError', 500));
    await expect(ingestObject(deps(fakeStore(waiting, failedWith)), 'b', oversize)).rejects.toThrow(
      S3ServiceException,
    );
  });

  it('leaves job and key alone when a good upload queued the job meanwhile', async () => {
    const queued = { ...waiting, status: JobStatus.Queued, queuedAt: '2026-01-01T00:00:01.000Z' };
    const jobs = fakeStore(waiting, async () => {
      throw new JobStateConflictError(jobId, [JobStatus.AwaitingUpload], queued);
    });
    const result = await ingestObject(deps(jobs), 'b', oversize);
    expect(result).toMatchObject({ outcome: 'skipped', job: { status: JobStatus.Queued } });
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('is no refusal for a job that ran: a FAILED job once queued keeps its object', async () => {
    const ran = { ...waiting, status: JobStatus.Failed, queuedAt: '2026-01-01T00:00:01.000Z' };
    const jobs = fakeStore(ran, failedWith);
    const result = await ingestObject(deps(jobs), 'b', oversize);
    expect(result.outcome).toBe('skipped');
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });
});
