/**
 * @module functions/push/fanout-handler
 * Lambda entry of the jobs-table stream consumer; the logic is in fanout.ts.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { type PushDeps, pushDepsFromEnv } from './deps.ts';
import { type FanoutSummary, fanOut } from './fanout.ts';

let deps: PushDeps | undefined;

export async function handler(event: DynamoDBStreamEvent): Promise<FanoutSummary> {
  deps ??= pushDepsFromEnv();
  return fanOut(deps, event);
}
