/**
 * @module gpu-worker/checkpoints
 * A resumable job's saved state, as one JSON object at `results/<jobId>/checkpoint.json`: under
 * the results prefix, so the bucket's lifecycle rules for results cover it too. A worker taking
 * a job over after a crash reads it and continues from there; the object is deleted once the
 * job's results are written.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { checkpointKey } from '../core/keys.ts';

export interface CheckpointStore {
  load<State>(): Promise<State | undefined>;
  save(state: unknown): Promise<void>;
  remove(): Promise<void>;
}

/** The checkpoint of `jobId` in `bucket`; `attempt` is recorded so a reader can tell who saved it. */
export function checkpointStore(
  s3: S3Client,
  bucket: string,
  jobId: string,
  attempt: number,
): CheckpointStore {
  const Key = checkpointKey(jobId);
  return {
    async load<State>() {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        const saved = JSON.parse((await out.Body?.transformToString()) ?? '{}') as { state?: State };
        return saved.state;
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      }
    },
    async save(state) {
      const body = JSON.stringify({ jobId, attempt, savedAt: new Date().toISOString(), state });
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key, Body: body, ContentType: 'application/json' }),
      );
    },
    async remove() {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    },
  };
}
