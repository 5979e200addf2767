/**
 * @module functions/ingest/handler
 * Lambda adapter for S3 `ObjectCreated` notifications on `uploads/`: each record becomes one
 * QUEUED job (see ingest-object.ts). Records are independent: one failing does not stop the
 * others. If any failed, the handler throws after all were tried, so Lambda retries the event;
 * records already ingested are no-ops on the retry.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { createAwsClients } from '../../core/aws.ts';
import { ClientStore } from '../../core/client-store.ts';
import { JobStore } from '../../core/job-store.ts';
import { isFolderPlaceholder, isUploadKey } from '../../core/keys.ts';
import { resourcesFromEnv } from '../../core/resources.ts';
import { type IngestDeps, ingestObject } from './ingest-object.ts';
import { ownerResolver, ownerSettingsFromEnv } from './owner.ts';
import { resolveObject } from './resolve-object.ts';

const logger = new Logger({ serviceName: 'ferry-ingest' });

let deps: IngestDeps | undefined;
function getDeps(): IngestDeps {
  if (!deps) {
    const resources = resourcesFromEnv();
    const aws = createAwsClients();
    const owner = ownerSettingsFromEnv();
    const clients = owner.clientsTable
      ? new ClientStore({ dynamo: aws.dynamo, table: owner.clientsTable })
      : undefined;
    deps = {
      ...aws,
      jobs: new JobStore({ dynamo: aws.dynamo, table: resources.table }),
      queueUrl: resources.queueUrl,
      ownerOf: ownerResolver(clients, owner.defaultClientId),
    };
  }
  return deps;
}

/** S3 sends a test event without Records when a notification is configured. */
type S3EventOrTest = Partial<S3Event> & { Event?: string };

export async function handler(event: S3EventOrTest): Promise<{ ingested: number; skipped: number }> {
  const records = (event.Records ?? []).filter(isIngestible);
  const results = await Promise.allSettled(records.map((record) => ingestRecord(getDeps(), record)));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [{ record: records[i], error: r.reason }] : [],
  );
  for (const { record, error } of failures) {
    logger.error('ingest failed', { key: record?.s3.object.key, bucket: record?.s3.bucket.name, error });
  }
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} of ${records.length} uploads failed to ingest; the event will be retried`,
    );
  }
  const ingested = results.filter((r) => r.status === 'fulfilled' && r.value).length;
  return { ingested, skipped: records.length - ingested };
}

function isIngestible(record: S3EventRecord): boolean {
  return (
    record.eventName?.startsWith('ObjectCreated') === true &&
    isUploadKey(record.s3.object.key) &&
    !isFolderPlaceholder(record.s3.object.key)
  );
}

/** Returns false when the object no longer exists (deleted before ingest: nothing to do). */
async function ingestRecord(d: IngestDeps, record: S3EventRecord): Promise<boolean> {
  const bucket = record.s3.bucket.name;
  const object = await resolveObject(d.s3, bucket, record.s3.object.key, record.s3.object.eTag);
  if (!object) {
    logger.warn('object not found, skipping', { bucket, key: record.s3.object.key });
    return false;
  }
  const result = await ingestObject(d, bucket, object);
  logger.info(`job ${result.outcome}`, {
    jobId: result.job.jobId,
    key: object.key,
    status: result.job.status,
  });
  return true;
}
