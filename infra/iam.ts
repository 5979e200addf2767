/**
 * @module infra/iam
 * Least-privilege IAM statements for every role in the stack, as pure functions of resource
 * ARNs: the functions' `permissions`, the GPU task role and execution role. No SST or Pulumi
 * globals, so tests check the exact grants without deploying anything.
 */
import { KEY_PREFIX, TABLE } from '../core/config.ts';

/**
 * One Allow statement. Lower-case keys match SST's FunctionPermissionArgs, so a list can be
 * passed to `sst.aws.Function({ permissions })` as is; policyDocument() renders it for raw roles.
 */
export interface Statement {
  /** Statement id (alphanumeric), kept in raw IAM policies for readable diffs. */
  sid: string;
  effect: 'allow';
  actions: string[];
  resources: string[];
}

/** An IAM policy document as AWS reads it. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<{
    Sid: string;
    Effect: 'Allow';
    Action: string[];
    Resource: string[];
    Condition?: Record<string, Record<string, string | string[]>>;
  }>;
}

/** Actions that accept no narrower resource than "*" (AWS gives them no resource-level permissions). */
export const WILDCARD_ONLY_ACTIONS: readonly string[] = [
  'ecr:GetAuthorizationToken',
  'ecs:DiscoverPollEndpoint',
  'ec2:DescribeTags',
];

/** ARN pattern of every object under a key prefix (e.g. "uploads/"). */
function objectsUnder(bucketArn: string, prefix: string): string {
  return `${bucketArn}/${prefix}*`;
}

/** ARN of the jobs table's status index (the GSI named in core/config.ts TABLE). */
function statusIndexArn(tableArn: string): string {
  return `${tableArn}/index/${TABLE.statusIndex.name}`;
}

/** ARN of the jobs table's client index (GET /jobs lists the caller's jobs through it). */
function clientIndexArn(tableArn: string): string {
  return `${tableArn}/index/${TABLE.clientIndex.name}`;
}

/** ARN pattern of the tasks of one ECS cluster (for task scale-in protection). */
export function clusterTasksArn(a: {
  partition: string;
  region: string;
  accountId: string;
  clusterName: string;
}): string {
  return `arn:${a.partition}:ecs:${a.region}:${a.accountId}:task/${a.clusterName}/*`;
}

/** ARN pattern of the container instances of one ECS cluster (the ECS agent's own calls). */
export function clusterContainerInstancesArn(a: {
  partition: string;
  region: string;
  accountId: string;
  clusterName: string;
}): string {
  return `arn:${a.partition}:ecs:${a.region}:${a.accountId}:container-instance/${a.clusterName}/*`;
}

function allow(sid: string, actions: string[], resources: string[]): Statement {
  return { sid, effect: 'allow', actions, resources };
}

/** What the queue consumer side of SQS needs (receive, ack, extend, read attributes). */
const SQS_CONSUME = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
];

export interface IngestArns {
  bucketArn: string;
  tableArn: string;
  jobsQueueArn: string;
  /** The on-failure destination of the function's asynchronous (S3) invocations. */
  failuresQueueArn: string;
  clientsTableArn: string;
}

/** Ingest: HeadObject the new upload, create/queue its job, send it to the jobs queue. */
export function ingestStatements(a: IngestArns): Statement[] {
  return [
    // HeadObject is authorised by s3:GetObject.
    allow('ReadUploads', ['s3:GetObject'], [objectsUnder(a.bucketArn, KEY_PREFIX.uploads)]),
    // An API upload of another size than declared is refused and deleted (core/ingest/).
    allow('DeleteRefusedUploads', ['s3:DeleteObject'], [objectsUnder(a.bucketArn, KEY_PREFIX.uploads)]),
    allow('WriteJobs', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [a.tableArn]),
    allow('EnqueueJobs', ['sqs:SendMessage'], [a.jobsQueueArn]),
    // Lambda sends events that failed every retry to the destination with the function's role.
    allow('ReportFailedEvents', ['sqs:SendMessage'], [a.failuresQueueArn]),
    // Direct drops under uploads/<clientId>/ belong to that client if it exists.
    allow('ReadClients', ['dynamodb:GetItem'], [a.clientsTableArn]),
  ];
}

export interface ApiArns {
  bucketArn: string;
  tableArn: string;
  webhooksQueueArn: string;
  clientsTableArn: string;
  /** The cursor signing key parameter: the only parameter the API reads. */
  cursorKeyArn: string;
}

/** API: presign uploads, read results, create/read/cancel/list jobs, enqueue webhook deliveries. */
export function apiStatements(a: ApiArns): Statement[] {
  return [
    // A presigned PUT/POST carries the signer's rights: the API may only sign into uploads/.
    allow('PresignUploads', ['s3:PutObject'], [objectsUnder(a.bucketArn, KEY_PREFIX.uploads)]),
    allow('ReadResults', ['s3:GetObject'], [objectsUnder(a.bucketArn, KEY_PREFIX.results)]),
    // DELETE /uploads/{jobId}: multipart uploads (created and completed under s3:PutObject).
    allow('AbortUploads', ['s3:AbortMultipartUpload'], [objectsUnder(a.bucketArn, KEY_PREFIX.uploads)]),
    // POST /uploads/{jobId}/complete lists the uploaded parts and checks their sizes (ListParts).
    allow(
      'CheckUploadedParts',
      ['s3:ListMultipartUploadParts'],
      [objectsUnder(a.bucketArn, KEY_PREFIX.uploads)],
    ),
    allow('Jobs', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [a.tableArn]),
    allow('ListJobsByClient', ['dynamodb:Query'], [clientIndexArn(a.tableArn)]),
    allow('EnqueueWebhooks', ['sqs:SendMessage'], [a.webhooksQueueArn]),
    // Key lookups, the rate-limit bucket and the daily job counter.
    allow('Clients', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [a.clientsTableArn]),
    // SecureStrings under the AWS-managed aws/ssm key need no kms grant: its key policy allows
    // decryption through SSM to every principal of the account that may read the parameter.
    allow('ReadCursorKey', ['ssm:GetParameter'], [a.cursorKeyArn]),
  ];
}

export interface WebhookArns {
  tableArn: string;
  webhooksQueueArn: string;
  /** ARN pattern of every client's webhook secret parameter: the only parameters it reads. */
  webhookSecretsArn: string;
}

/** Webhook delivery: consume the webhooks queue, re-enqueue with a delay, record the outcome. */
export function webhookStatements(a: WebhookArns): Statement[] {
  return [
    allow('ConsumeWebhooks', SQS_CONSUME, [a.webhooksQueueArn]),
    allow('RetryWebhooks', ['sqs:SendMessage'], [a.webhooksQueueArn]),
    allow('RecordDeliveries', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [a.tableArn]),
    allow('ReadWebhookSecrets', ['ssm:GetParameter'], [a.webhookSecretsArn]),
  ];
}

export interface WorkerTaskArns {
  bucketArn: string;
  tableArn: string;
  jobsQueueArn: string;
  /** The jobs DLQ: the worker marks jobs whose message landed there FAILED (receive only). */
  jobsDeadLetterQueueArn: string;
  webhooksQueueArn: string;
  /** ARN pattern of the cluster's tasks, from clusterTasksArn(). */
  clusterTasksArn: string;
}

/**
 * GPU worker task role: read inputs, write results, move jobs, consume the jobs queue, reconcile
 * stranded jobs, protect itself. (Ingest recovery is the reconciler function's on AWS: the worker
 * gets no ingest failures queue there.)
 */
export function workerTaskStatements(a: WorkerTaskArns): Statement[] {
  return [
    allow('ReadUploads', ['s3:GetObject'], [objectsUnder(a.bucketArn, KEY_PREFIX.uploads)]),
    allow('WriteResults', ['s3:PutObject'], [objectsUnder(a.bucketArn, KEY_PREFIX.results)]),
    // A long job's checkpoint (results/<jobId>/checkpoint.json): read on takeover, deleted when done.
    allow(
      'Checkpoints',
      ['s3:GetObject', 's3:DeleteObject'],
      [`${a.bucketArn}/${KEY_PREFIX.results}*/checkpoint.json`],
    ),
    allow('Jobs', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [a.tableArn]),
    allow('ConsumeJobs', SQS_CONSUME, [a.jobsQueueArn]),
    // Every worker runs the reconciler (gpu-worker/reconciler.ts, core/reconcile.ts) each
    // RECONCILE.everySec: it lists QUEUED and RUNNING jobs by status and (re-)sends their messages.
    allow('ListJobsByStatus', ['dynamodb:Query'], [statusIndexArn(a.tableArn)]),
    allow('ResendJobs', ['sqs:SendMessage'], [a.jobsQueueArn]),
    // The dead-letter sweep receives with a long visibility timeout and never deletes (the
    // messages stay for inspection and redrive).
    allow('SweepDeadLetters', ['sqs:ReceiveMessage'], [a.jobsDeadLetterQueueArn]),
    allow('EnqueueWebhooks', ['sqs:SendMessage'], [a.webhooksQueueArn]),
    // The worker sets scale-in protection through $ECS_AGENT_URI/task-protection/v1/state while it
    // holds a job; the agent calls these APIs with the task role's credentials.
    allow(
      'TaskScaleInProtection',
      ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
      [a.clusterTasksArn],
    ),
  ];
}

export interface WorkerExecutionArns {
  repositoryArn: string;
  logGroupArn: string;
}

/** Task execution role (used by the ECS agent, not the worker): pull the image, write logs. */
export function workerExecutionStatements(a: WorkerExecutionArns): Statement[] {
  return [
    allow('EcrLogin', ['ecr:GetAuthorizationToken'], ['*']),
    allow(
      'PullWorkerImage',
      ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      [a.repositoryArn],
    ),
    allow('WriteWorkerLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], [`${a.logGroupArn}:*`]),
  ];
}

export interface InstanceArns {
  clusterArn: string;
  /** ARN pattern of the cluster's container instances, from clusterContainerInstancesArn(). */
  containerInstancesArn: string;
  repositoryArn: string;
  logGroupArn: string;
}

/**
 * GPU container instance role (the ECS agent and the awslogs driver on the instance): what AWS's
 * managed AmazonEC2ContainerServiceforEC2Role grants, narrowed to this cluster, the worker's
 * repository and its log group.
 */
export function instanceStatements(a: InstanceArns): Statement[] {
  return [
    allow('DiscoverEcs', ['ecs:DiscoverPollEndpoint', 'ec2:DescribeTags'], ['*']),
    allow(
      'JoinCluster',
      [
        'ecs:RegisterContainerInstance',
        'ecs:DeregisterContainerInstance',
        'ecs:UpdateContainerInstancesState',
        'ecs:SubmitAttachmentStateChanges',
        'ecs:SubmitContainerStateChange',
        'ecs:SubmitTaskStateChange',
      ],
      [a.clusterArn],
    ),
    allow(
      'AgentSession',
      ['ecs:Poll', 'ecs:StartTelemetrySession', 'ecs:TagResource'],
      [a.containerInstancesArn],
    ),
    ...workerExecutionStatements(a),
  ];
}

/** Renders statements as an IAM policy document. */
export function policyDocument(statements: Statement[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: 'Allow',
      Action: s.actions,
      Resource: s.resources,
    })),
  };
}

/**
 * Trust policy that lets an AWS service assume a role. With `sourceAccount`, the confused-deputy
 * guard AWS recommends: only requests made on behalf of this account.
 */
export function assumeRolePolicy(service: string, sourceAccount?: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(sourceAccount ? { Condition: { StringEquals: { 'aws:SourceAccount': sourceAccount } } } : {}),
      },
    ],
  });
}

/**
 * Statements that grant a "*" resource (or a bucket-wide object pattern) for an action that has a
 * narrower resource. Empty for every builder above; the stack refuses to deploy otherwise.
 */
export function overbroadStatements(statements: Statement[]): Statement[] {
  return statements.filter((s) =>
    s.resources.some(
      (r) =>
        (r === '*' && !s.actions.every((a) => WILDCARD_ONLY_ACTIONS.includes(a))) ||
        /:::[^/]+\/\*$/.test(r) ||
        s.actions.some((a) => a.endsWith(':*')),
    ),
  );
}

/** Throws if any statement is overbroad (see overbroadStatements); returns the statements otherwise. */
export function scoped(role: string, statements: Statement[]): Statement[] {
  const bad = overbroadStatements(statements);
  if (bad.length > 0) {
    throw new Error(`IAM statements of ${role} are broader than needed: ${bad.map((s) => s.sid).join(', ')}`);
  }
  return statements;
}

export interface ReconcilerArns {
  bucketArn: string;
  tableArn: string;
  jobsQueueArn: string;
  webhooksQueueArn: string;
  ingestFailuresQueueArn: string;
  clientsTableArn: string;
}

/**
 * Reconciler: list QUEUED and RUNNING jobs, claim and re-send messages, expire stale jobs; and
 * ingest recovery (core/ingest/recovery.ts): replay failed S3 events, sweep uploads/ for objects
 * without a job and ingest them as the ingest function does.
 */
export function reconcilerStatements(a: ReconcilerArns): Statement[] {
  return [
    allow('ListJobsByStatus', ['dynamodb:Query'], [statusIndexArn(a.tableArn)]),
    // Get/Put/BatchGet: ingest's writes and the sweep's lookup of each upload's job.
    allow(
      'Jobs',
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'],
      [a.tableArn],
    ),
    allow('EnqueueJobs', ['sqs:SendMessage'], [a.jobsQueueArn]),
    allow('EnqueueWebhooks', ['sqs:SendMessage'], [a.webhooksQueueArn]),
    allow('ReplayIngestFailures', SQS_CONSUME, [a.ingestFailuresQueueArn]),
    // ListObjectsV2 is authorised by s3:ListBucket on the bucket (keys only; the code lists uploads/).
    allow('ListUploads', ['s3:ListBucket'], [a.bucketArn]),
    // HeadObject is authorised by s3:GetObject.
    allow('ReadUploads', ['s3:GetObject'], [objectsUnder(a.bucketArn, KEY_PREFIX.uploads)]),
    // A replayed or swept API upload of another size than declared is deleted, as by ingest.
    allow('DeleteRefusedUploads', ['s3:DeleteObject'], [objectsUnder(a.bucketArn, KEY_PREFIX.uploads)]),
    // Owners of direct drops, and the recovery counters and sweep claim (ops# item).
    allow('Clients', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [a.clientsTableArn]),
  ];
}
