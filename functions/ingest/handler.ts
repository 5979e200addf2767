/**
 * @module functions/ingest/handler
 * Lambda adapter for S3 `ObjectCreated` notifications on `uploads/`: each record becomes one
 * QUEUED job (core/ingest/). If any record failed, the handler throws after all were tried, so
 * Lambda retries the event; records already ingested are no-ops on the retry. An event still
 * failing after the retries goes to the ingest failures queue, which the reconciler replays.
 */
import { createAwsClients } from '../../core/aws.ts';
import { ingestDeps } from '../../core/ingest/ingest-deps.ts';
import type { IngestDeps } from '../../core/ingest/ingest-object.ts';
import { ingestRecords, type S3EventOrTest } from '../../core/ingest/ingest-records.ts';
import { resourcesFromEnv } from '../../core/resources.ts';
import { functionLog } from '../log.ts';

const log = functionLog('ingest');

let deps: IngestDeps | undefined;
const getDeps = () => {
  deps ??= ingestDeps(createAwsClients(), resourcesFromEnv());
  return deps;
};

export async function handler(event: S3EventOrTest): Promise<{ ingested: number; skipped: number }> {
  const result = await ingestRecords(getDeps(), event, log);
  for (const { key, error } of result.failures) log.error('ingest failed', { key, error });
  if (result.failures.length > 0) {
    throw new Error(
      `${result.failures.length} of ${result.tried} uploads failed to ingest; the event will be retried`,
    );
  }
  return { ingested: result.ingested, skipped: result.skipped };
}
