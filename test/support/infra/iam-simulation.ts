/**
 * @module test/support/infra/iam-simulation
 * Evaluates recorded AWS calls (core/aws-calls.ts) against the synthesised stack's IAM policies:
 * each call becomes the IAM request AWS would authorise (action and resource ARN, with the
 * emulator's resource names replaced by the stack's), and each request is evaluated statement by
 * statement against the policy of the role its component runs under on AWS.
 *
 * Hand-written, on purpose small: the one maintained npm simulator (@cloud-copilot/iam-simulate)
 * is AGPL-3.0, which this MIT project does not take on, even as a dev dependency. What it does
 * not model (conditions, resource policies, KMS, SCPs) is listed in docs/deploy.md, "IAM".
 */
import type { AwsCall, AwsComponent } from '../../../core/aws-calls.ts';
import { LOCAL_RESOURCES } from '../../../core/config.ts';
import { LOCAL_PUSH_RESOURCES } from '../../../core/push-config.ts';
import type { LocalOutputs } from '../../../scripts/local/provision.ts';
import type { Synth } from './synth.ts';
import { ACCOUNT, REGION } from './synth-runner.ts';

/** One IAM request: what AWS checks before it runs a call. */
export interface IamRequest {
  action: string;
  resource: string;
}

/** A statement of an identity policy, as AWS reads the JSON. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: unknown;
}

export type Decision =
  | { allowed: true; by: string }
  | { allowed: false; reason: 'no statement allows it' | `denied by ${string}` };

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : [v].flat());

/** IAM's wildcards: `*` any run of characters, `?` one character (no policy variables here). */
function matches(pattern: string | null, value: string, ignoreCase: boolean): boolean {
  // An output the mocks do not compute (a table's stream ARN) is null: it matches nothing.
  if (typeof pattern !== 'string') return false;
  if (pattern.includes('${')) throw new Error(`policy variables are not simulated: ${pattern}`);
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function applies(s: PolicyStatement, r: IamRequest): boolean {
  if (s.Condition !== undefined) {
    throw new Error(
      `statement ${s.Sid ?? '(no Sid)'} has a condition, which the simulation does not evaluate`,
    );
  }
  // Actions are case-insensitive in IAM; ARNs are not.
  const action =
    s.NotAction !== undefined
      ? !list(s.NotAction).some((p) => matches(p, r.action, true))
      : list(s.Action).some((p) => matches(p, r.action, true));
  const resource =
    s.NotResource !== undefined
      ? !list(s.NotResource).some((p) => matches(p, r.resource, false))
      : list(s.Resource).some((p) => matches(p, r.resource, false));
  return action && resource;
}

/** Identity-policy evaluation: an explicit Deny wins, else some Allow must apply, else denied. */
export function evaluate(statements: PolicyStatement[], request: IamRequest): Decision {
  const applying = statements.filter((s) => applies(s, request));
  const deny = applying.find((s) => s.Effect === 'Deny');
  if (deny) return { allowed: false, reason: `denied by ${deny.Sid ?? 'a Deny statement'}` };
  const allow = applying.find((s) => s.Effect === 'Allow');
  if (allow) return { allowed: true, by: allow.Sid ?? list(allow.Action).join(',') };
  return { allowed: false, reason: 'no statement allows it' };
}

/** The stack's names of the resources the emulator's calls name (from the synthesised stack). */
export interface StackNames {
  bucket: string;
  /** Local base name (LOCAL_RESOURCES, LOCAL_PUSH_RESOURCES) -> the stack's physical name, per kind. */
  tables: Record<string, string>;
  queues: Record<string, string>;
  parameterPrefix: { local: string; stack: string };
  /** The push API's execution ARN and stage (the @connections calls' resource). */
  pushExecution: { arn: string; stage: string };
}

/** Which stack output names the resource each local name stands for (LocalOutputs keys, shared by both). */
const QUEUES = {
  queue: 'queueUrl',
  deadLetterQueue: 'dlqUrl',
  webhookQueue: 'webhookQueueUrl',
  webhookDeadLetterQueue: 'webhookDlqUrl',
  ingestFailuresQueue: 'ingestFailuresQueueUrl',
} as const satisfies Partial<Record<keyof typeof LOCAL_RESOURCES, keyof LocalOutputs>>;
const TABLES = {
  table: 'table',
  clientsTable: 'clientsTable',
} as const satisfies Partial<Record<keyof typeof LOCAL_RESOURCES, keyof LocalOutputs>>;

const lastSegment = (url: string): string => new URL(url).pathname.split('/').pop() ?? '';

/** local base name -> the stack's value of the output `keys` maps it to. */
function byLocalName(
  keys: Partial<Record<keyof typeof LOCAL_RESOURCES, string>>,
  value: (outputKey: string) => string,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(keys).map(([k, o]) => [LOCAL_RESOURCES[k as keyof typeof LOCAL_RESOURCES], value(o)]),
  );
}

/** Reads the stack's names from a synthesis: its outputs, and the push functions' environment. */
export function stackNames(synth: Synth): StackNames {
  const outputs = synth.output.outputs as Record<string, string>;
  const out = (key: string): string => {
    const value = outputs[key];
    if (typeof value !== 'string') throw new Error(`the synthesised stack has no output ${key}`);
    return value;
  };
  const push = synth.inputs<{ environment: { variables: Record<string, string> } }>(
    'aws:lambda/function:Function',
    'PushSocketFunction',
  ).environment.variables;
  const pushApi = synth.one('aws:apigatewayv2/api:Api', 'PushApi');
  return {
    bucket: out('bucket'),
    tables: {
      ...byLocalName(TABLES, out),
      [LOCAL_PUSH_RESOURCES.connectionsTable]: String(push.FERRY_CONNECTIONS_TABLE),
    },
    queues: byLocalName(QUEUES, (o) => lastSegment(out(o))),
    parameterPrefix: { local: LOCAL_RESOURCES.parameterPrefix, stack: out('parameterPrefix') },
    pushExecution: {
      // As the synthesis mocks compute it (synth-runner.ts computedState).
      arn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${pushApi.name.toLowerCase()}`,
      stage: lastSegment(String(push.FERRY_PUSH_MANAGEMENT_URL)),
    },
  };
}

/** An emulator name is a local base name, or one with a test file's suffix (`ferry-jobs-1a2b3c4d`). */
function stackNameOf(kind: string, local: string, names: Record<string, string>): string {
  // Longest base first: `ferry-jobs-dlq-<suffix>` is the DLQ, not `ferry-jobs` with a suffix.
  const bases = Object.keys(names).sort((a, b) => b.length - a.length);
  const base = bases.find((b) => local === b || new RegExp(`^${b}-[0-9a-z]+$`).test(local));
  if (base === undefined)
    throw new Error(`the ${kind} ${local} is none of the stack's (${bases.join(', ')})`);
  return names[base] as string;
}

function str(call: AwsCall, field: string): string {
  const value = call.resources[field];
  if (typeof value !== 'string') throw new Error(`${call.service} ${call.operation} recorded no ${field}`);
  return value;
}

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** What each SDK operation is authorised as: its IAM action and how its resource ARN is built. */
type Target = (call: AwsCall, n: StackNames) => string[];

const object: Target = (c, n) => [
  `arn:aws:s3:::${stackNameOf('bucket', str(c, 'Bucket'), { [LOCAL_RESOURCES.bucket]: n.bucket })}/${str(c, 'Key')}`,
];
const bucket: Target = (c, n) => [
  `arn:aws:s3:::${stackNameOf('bucket', str(c, 'Bucket'), { [LOCAL_RESOURCES.bucket]: n.bucket })}`,
];
const queue: Target = (c, n) => [arn('sqs', stackNameOf('queue', lastSegment(str(c, 'QueueUrl')), n.queues))];
const tableArn = (local: string, n: StackNames) =>
  arn('dynamodb', `table/${stackNameOf('table', local, n.tables)}`);
const table: Target = (c, n) => {
  const index = c.resources.IndexName;
  return [`${tableArn(str(c, 'TableName'), n)}${typeof index === 'string' ? `/index/${index}` : ''}`];
};
const batchTables: Target = (c, n) =>
  ((c.resources.RequestItems ?? []) as string[]).map((t) => tableArn(t, n));
const parameterArn = (name: string, n: StackNames) => {
  const { local, stack } = n.parameterPrefix;
  const prefix = stackNameOf('parameter prefix', name.split('/').slice(0, 3).join('/'), { [local]: stack });
  return arn('ssm', `parameter${prefix}/${name.split('/').slice(3).join('/')}`.replace(/\/$/, ''));
};
const parameter: Target = (c, n) => [parameterArn(str(c, 'Name'), n)];
const parameters: Target = (c, n) => ((c.resources.Names ?? []) as string[]).map((p) => parameterArn(p, n));
const parameterPath: Target = (c, n) => [parameterArn(str(c, 'Path'), n)];
const connection =
  (method: string): Target =>
  (c, n) => [
    `${n.pushExecution.arn}/${n.pushExecution.stage}/${method}/@connections/${str(c, 'ConnectionId')}`,
  ];

/**
 * `Service Operation` -> [IAM action, resource]. Where the action differs from the operation's
 * name it is AWS's documented authorisation (Service Authorization Reference).
 */
const ACTIONS: Record<string, [string, Target]> = {
  // S3: HeadObject is authorised as GetObject, multipart parts as PutObject, listing on the bucket.
  'S3 GetObject': ['s3:GetObject', object],
  'S3 HeadObject': ['s3:GetObject', object],
  'S3 PutObject': ['s3:PutObject', object],
  'S3 CreateMultipartUpload': ['s3:PutObject', object],
  'S3 UploadPart': ['s3:PutObject', object],
  'S3 CompleteMultipartUpload': ['s3:PutObject', object],
  'S3 AbortMultipartUpload': ['s3:AbortMultipartUpload', object],
  'S3 ListParts': ['s3:ListMultipartUploadParts', object],
  'S3 DeleteObject': ['s3:DeleteObject', object],
  'S3 ListObjectsV2': ['s3:ListBucket', bucket],
  'S3 ListObjects': ['s3:ListBucket', bucket],
  'S3 HeadBucket': ['s3:ListBucket', bucket],
  'S3 ListMultipartUploads': ['s3:ListBucketMultipartUploads', bucket],
  // SQS: the batch forms are authorised as the single ones.
  'SQS SendMessage': ['sqs:SendMessage', queue],
  'SQS SendMessageBatch': ['sqs:SendMessage', queue],
  'SQS ReceiveMessage': ['sqs:ReceiveMessage', queue],
  'SQS DeleteMessage': ['sqs:DeleteMessage', queue],
  'SQS DeleteMessageBatch': ['sqs:DeleteMessage', queue],
  'SQS ChangeMessageVisibility': ['sqs:ChangeMessageVisibility', queue],
  'SQS ChangeMessageVisibilityBatch': ['sqs:ChangeMessageVisibility', queue],
  'SQS GetQueueAttributes': ['sqs:GetQueueAttributes', queue],
  'SQS GetQueueUrl': ['sqs:GetQueueUrl', queue],
  // DynamoDB: a Query or Scan with IndexName is authorised on the index's ARN.
  'DynamoDB GetItem': ['dynamodb:GetItem', table],
  'DynamoDB PutItem': ['dynamodb:PutItem', table],
  'DynamoDB UpdateItem': ['dynamodb:UpdateItem', table],
  'DynamoDB DeleteItem': ['dynamodb:DeleteItem', table],
  'DynamoDB Query': ['dynamodb:Query', table],
  'DynamoDB Scan': ['dynamodb:Scan', table],
  'DynamoDB DescribeTable': ['dynamodb:DescribeTable', table],
  'DynamoDB BatchGetItem': ['dynamodb:BatchGetItem', batchTables],
  'DynamoDB BatchWriteItem': ['dynamodb:BatchWriteItem', batchTables],
  'SSM GetParameter': ['ssm:GetParameter', parameter],
  'SSM GetParameters': ['ssm:GetParameters', parameters],
  'SSM GetParametersByPath': ['ssm:GetParametersByPath', parameterPath],
  'SSM PutParameter': ['ssm:PutParameter', parameter],
  'SSM DeleteParameter': ['ssm:DeleteParameter', parameter],
  'ApiGatewayManagementApi PostToConnection': ['execute-api:ManageConnections', connection('POST')],
  'ApiGatewayManagementApi GetConnection': ['execute-api:ManageConnections', connection('GET')],
  'ApiGatewayManagementApi DeleteConnection': ['execute-api:ManageConnections', connection('DELETE')],
};

/** The IAM requests one call makes; throws for an operation without a mapping (add it to ACTIONS). */
export function iamRequestsOf(call: AwsCall, names: StackNames): IamRequest[] {
  const mapping = ACTIONS[`${call.service} ${call.operation}`];
  if (!mapping) {
    throw new Error(
      `no IAM mapping for ${call.service} ${call.operation} (component ${call.component}): add it to ACTIONS in test/support/infra/iam-simulation.ts`,
    );
  }
  const [action, target] = mapping;
  return target(call, names).map((resource) => ({ action, resource }));
}

/** The IAM role each component runs under on AWS (its logical name in infra/). */
export const COMPONENT_ROLES: Record<Exclude<AwsComponent, 'cli'>, string> = {
  ingest: 'IngestRole',
  api: 'ApiHandlerRole',
  webhook: 'WebhookDeliveryRole',
  reconciler: 'ReconcilerHandlerRole',
  worker: 'WorkerTaskRole',
  'push-socket': 'PushSocketRole',
  'push-fanout': 'JobsTableSubscriberPushFanoutFunctionRole',
};

/** Every identity-policy statement of a synthesised role: its inline policies and its RolePolicies. */
export function roleStatements(synth: Synth, role: string): PolicyStatement[] {
  const r = synth.one('aws:iam/role:Role', role);
  const inline = ((r.inputs.inlinePolicies ?? []) as Array<{ policy: string }>).map((p) => p.policy);
  // The mocks give each resource the id `<name>-id`; a RolePolicy names its role by id.
  const attached = synth
    .all('aws:iam/rolePolicy:RolePolicy')
    .filter((p) => p.inputs.role === `${role}-id`)
    .map((p) => String(p.inputs.policy));
  const statements = [...inline, ...attached].flatMap(
    (json) => (JSON.parse(json) as { Statement: PolicyStatement[] }).Statement,
  );
  if (statements.length === 0) throw new Error(`the role ${role} has no policy in the synthesised stack`);
  return statements;
}
