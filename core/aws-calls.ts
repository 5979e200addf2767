/**
 * @module core/aws-calls
 * Records every AWS call a process makes, one JSON line each, when FERRY_AWS_CALL_LOG names a
 * file: the component (FERRY_COMPONENT, e.g. `ingest`, `worker`), the service, the operation and
 * the request's resource parameters (bucket and key, queue URL, table and index, parameter
 * names ...). The tests switch it on for every component, and the IAM check evaluates what was
 * recorded against each component's synthesised policy, so the policy follows from what the code
 * does. Off (no middleware at all) unless the variable is set.
 */
import { appendFileSync } from 'node:fs';

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
