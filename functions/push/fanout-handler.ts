/**
 * @module functions/push/fanout-handler
 * Lambda entry of the jobs-table stream consumer; the logic is in fanout.ts. It answers with a
 * partial batch response (the mapping's ReportBatchItemFailures): only the records it could not
 * serve are retried.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { type PushDeps, pushDepsFromEnv } from './deps.ts';
import { fanOut } from './fanout.ts';

let deps: PushDeps | undefined;

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  deps ??= pushDepsFromEnv();
  const { batchItemFailures } = await fanOut(deps, event);
  return { batchItemFailures };
}
