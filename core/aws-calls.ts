/**
 * @module core/aws-calls
 * Records every AWS call a process makes, one JSON line each, when FERRY_AWS_CALL_LOG names a
 * file: the component (FERRY_COMPONENT, e.g. `ingest`, `worker`), the service, the operation and
 * the request's resource parameters (bucket and key, queue URL, table and index, parameter
 * names ...). The tests switch it on for every component, and the IAM check evaluates what was
 * recorded against each component's synthesised policy, so the policy follows from what the code
 * does. Off (no middleware at all) unless the variable is set.
 *
 * FERRY_AWS_CALL_DIR (set once per test run by test/support/global-setup.ts) is what whoever
 * starts a component reads: callLogEnv() turns it into that component's two variables.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The components that make AWS calls, each named after the role it runs under on AWS (infra/):
 * the Lambda functions, the GPU worker's task role, and `cli`, the operator's own credentials.
 */
export const AWS_COMPONENTS = [
  'ingest',
  'api',
  'webhook',
  'reconciler',
  'worker',
  'push-socket',
  'push-fanout',
  'cli',
] as const;
export type AwsComponent = (typeof AWS_COMPONENTS)[number];

/**
 * The variables that switch the recorder on for `component`, writing to
 * `<FERRY_AWS_CALL_DIR>/<component>.jsonl`; empty when FERRY_AWS_CALL_DIR is unset (never on AWS).
 * Processes of one component append to one file: each line is one small O_APPEND write.
 */
export function callLogEnv(
  component: AwsComponent,
  env: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const dir = env.FERRY_AWS_CALL_DIR;
  if (!dir) return {};
  return {
    FERRY_AWS_CALL_LOG: path.join(path.resolve(dir), `${component}.jsonl`),
    FERRY_COMPONENT: component,
  };
}

/** One recorded call. */
export interface AwsCall {
  component: string;
  /** The SDK client's service, e.g. `S3`, `SQS`, `DynamoDB`, `SSM`. */
  service: string;
  /** The API operation, e.g. `GetObject`. */
  operation: string;
  /** The request's resource parameters (those naming what the call touches), as sent. */
  resources: Record<string, unknown>;
}

/** Request fields that name what a call touches; everything else (bodies, items) is left out. */
const RESOURCE_FIELDS = [
  'Bucket',
  'Key',
  'Prefix',
  'QueueUrl',
  'TableName',
  'IndexName',
  'Name',
  'Names',
  'Path',
  'ConnectionId',
  'FunctionName',
  'cluster',
  'services',
  'service',
  'EventBusName',
  'Namespace',
  'RequestItems',
  'TransactItems',
] as const;

interface InitializeStack {
  add(
    middleware: (
      next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) => (args: { input: Record<string, unknown> }) => Promise<unknown>,
    options: { step: 'initialize'; name: string },
  ): void;
}

/** Adds the recorder to `client` when `env.FERRY_AWS_CALL_LOG` is set. */
export function recordCallsOf(
  client: { middlewareStack: unknown },
  env: Record<string, string | undefined> = process.env,
): void {
  const file = env.FERRY_AWS_CALL_LOG;
  if (!file) return;
  const component = env.FERRY_COMPONENT ?? 'unknown';
  (client.middlewareStack as InitializeStack).add(
    (next, context) => async (args) => {
      const call: AwsCall = {
        component,
        service: (context.clientName ?? '').replace(/Client$/, ''),
        operation: (context.commandName ?? '').replace(/Command$/, ''),
        resources: resourcesOf(args.input),
      };
      // Synchronous: the line must be on disk even if the process is killed right after.
      appendFileSync(file, `${JSON.stringify(call)}\n`);
      return next(args);
    },
    { step: 'initialize', name: 'ferryCallRecorder' },
  );
}

function resourcesOf(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of RESOURCE_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    // Batch requests: keep only the tables they name, not the items.
    if (field === 'RequestItems') out[field] = Object.keys(value as object);
    else if (field === 'TransactItems')
      out[field] = (value as Record<string, { TableName?: string }>[]).map(tableOf);
    else out[field] = value;
  }
  return out;
}

/** The table one transaction item writes or checks (`{ Put: { TableName } }` and the like). */
function tableOf(item: Record<string, { TableName?: string }>): string | undefined {
  return Object.values(item)[0]?.TableName;
}
