/**
 * The real sst.config.ts, synthesised offline under Pulumi mocks (support/synth.ts): asserts the
 * wiring types cannot check — which prefix notifies ingest, which DLQ a queue redrives to and
 * after how many receives, what each role may do, how the GPU fleet scales from and to zero.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import {
  CLIENTS_TABLE,
  FUNCTIONS,
  JOB,
  KEY_PREFIX,
  METRICS_NAMESPACE,
  PARAMETERS,
  QUEUE,
  RECOVERY_METRICS,
  TABLE,
  WEBHOOK,
} from '../../../core/config.ts';
import { PUSH_FUNCTIONS } from '../../../core/push-config.ts';
import {
  apiStatements,
  clusterTasksArn,
  ingestStatements,
  instanceStatements,
  overbroadStatements,
  policyDocument,
  type Statement,
  webhookStatements,
  workerExecutionStatements,
  workerTaskStatements,
} from '../../../infra/iam.ts';
import { handlerOf } from '../../../infra/options.ts';
import { resolveOptions } from '../../../infra/resolve-options.ts';
import { scalingPlan, toPulumiStep } from '../../../infra/scaling-plan.ts';
import { type Synth, synthesize } from '../../support/infra/synth.ts';

const T = {
  bucket: 'aws:s3/bucket:Bucket',
  queue: 'aws:sqs/queue:Queue',
  table: 'aws:dynamodb/table:Table',
  fn: 'aws:lambda/function:Function',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  policy: 'aws:appautoscaling/policy:Policy',
} as const;

// biome-ignore lint/suspicious/noExplicitAny: synthesised inputs are JSON that the tests walk by path.
type Inputs = Record<string, any>;

let ci: Synth;
let prod: Synth;
const ciOptions = resolveOptions('ci');
const prodOptions = resolveOptions('production');

beforeAll(async () => {
  // allSettled: both children finish (and clean up) even when one fails.
  const [c, p] = await Promise.allSettled([synthesize('ci'), synthesize('production')]);
  if (c.status === 'rejected') throw c.reason;
  if (p.status === 'rejected') throw p.reason;
  [ci, prod] = [c.value, p.value];
}, 240_000);

/** Physical name and ARN the mocks gave a resource. */
function arnOf(s: Synth, type: string, name: string): string {
  const r = s.one(type, name);
  const i = r.inputs as Inputs;
  switch (type) {
    case T.queue:
      return `arn:aws:sqs:us-east-1:123456789012:${i.name}`;
    case T.bucket:
      return `arn:aws:s3:::${i.bucket}`;
    case T.table:
      return `arn:aws:dynamodb:us-east-1:123456789012:table/${i.name}`;
    case T.fn:
      return `arn:aws:lambda:us-east-1:123456789012:function:${i.name}`;
    default:
      throw new Error(`no ARN rule for ${type}`);
  }
}

function arns(s: Synth) {
  return {
    bucketArn: arnOf(s, T.bucket, 'BucketBucket'),
    tableArn: arnOf(s, T.table, 'JobsTableTable'),
    jobsQueueArn: arnOf(s, T.queue, 'JobsQueueQueue'),
    webhooksQueueArn: arnOf(s, T.queue, 'WebhooksQueueQueue'),
    failuresQueueArn: arnOf(s, T.queue, 'IngestFailuresQueueQueue'),
    clientsTableArn: arnOf(s, T.table, 'ClientsTableTable'),
    cursorKeyArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/ferry/ci/api/cursor-key',
    webhookSecretsArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/ferry/ci/clients/*/webhook-secret',
  };
}

/** The statements of a Lambda role's inline policy, lower-cased back to the builders' shape. */
function lambdaStatements(s: Synth, role: string): Array<Pick<Statement, 'actions' | 'resources'>> {
  const policies = s.inputs<Inputs>(T.role, role).inlinePolicies as Array<{ policy: string }>;
  expect(policies).toHaveLength(1);
  const doc = JSON.parse(policies[0]?.policy ?? '{}') as {
    Statement: Array<{ Effect: string; Action: string[]; Resource: string[] }>;
  };
  for (const st of doc.Statement) expect(st.Effect).toBe('Allow');
  return doc.Statement.map((st) => ({ actions: st.Action, resources: st.Resource }));
}

const strip = (statements: Statement[]) =>
  statements.map(({ actions, resources }) => ({ actions, resources }));

describe('app', () => {
  test('production retains its data and cannot be removed; other stages are disposable', () => {
    expect(prod.output.app).toMatchObject({ name: 'ferry', home: 'aws', removal: 'retain', protect: true });
    expect(ci.output.app).toMatchObject({ name: 'ferry', removal: 'remove', protect: false });
  });

  test('outputs the coordinates scripts and the CLI need', () => {
    const o = ci.output.outputs;
    expect(o.apiUrl).toMatch(/^https:\/\/.+execute-api/);
    expect(o.bucket).toBe(ci.inputs<Inputs>(T.bucket, 'BucketBucket').bucket);
    expect(o.table).toBe(ci.inputs<Inputs>(T.table, 'JobsTableTable').name);
    expect(o.clientsTable).toBe(ci.inputs<Inputs>(T.table, 'ClientsTableTable').name);
    expect(o.parameterPrefix).toBe('/ferry/ci');
    expect(o.queueUrl).toMatch(/JobsQueueQueue/);
    expect(o.dlqUrl).toMatch(/JobsDeadLetterQueueQueue/);
    expect(o.webhookQueueUrl).toMatch(/WebhooksQueueQueue/);
    expect(o.repositoryUrl).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/ferry-ci-worker');
    expect(o.cluster).toBe('ferry-ci-gpu');
    expect(o.ingestFunction).toBe(ci.inputs<Inputs>(T.fn, 'IngestFunction').name);
  });

  test('every provider function the program calls is modelled by the mocks', () => {
    expect(ci.output.unmockedCalls).toEqual([]);
    expect(prod.output.unmockedCalls).toEqual([]);
  });

  test('builds the Lambda handlers named in core/config.ts FUNCTIONS and core/push-config.ts', () => {
    expect(ci.output.builds.map((b) => [b.functionID, b.handler, b.runtime])).toEqual([
      ['ApiHandler', handlerOf(FUNCTIONS.api.entry), ciOptions.functions.runtime],
      ['Ingest', handlerOf(FUNCTIONS.ingest.entry), ciOptions.functions.runtime],
      [
        'JobsTableSubscriberPushFanoutFunction',
        handlerOf(PUSH_FUNCTIONS.fanout.entry),
        ciOptions.functions.runtime,
      ],
      ['PushSocket', handlerOf(PUSH_FUNCTIONS.socket.entry), ciOptions.functions.runtime],
      ['ReconcilerHandler', handlerOf(FUNCTIONS.reconciler.entry), ciOptions.functions.runtime],
      ['WebhookDelivery', handlerOf(FUNCTIONS.webhook.entry), ciOptions.functions.runtime],
    ]);
  });
});

/** The inputs of the one resource of `type` whose name starts with `prefix` (SST hashes some names). */
function startingWith<T = Record<string, unknown>>(type: string, prefix: string): T {
  const found = ci.all(type).filter((r) => r.name.startsWith(prefix));
  expect(found.map((r) => r.name)).toHaveLength(1);
  return found[0]?.inputs as T;
}

describe('storage', () => {
  test('the bucket blocks every kind of public access and refuses plain HTTP', () => {
    expect(
      ci.inputs('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'BucketPublicAccessBlock'),
    ).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const policy = JSON.parse(ci.inputs<Inputs>('aws:s3/bucketPolicy:BucketPolicy', 'BucketPolicy').policy);
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: ['s3:*'],
        Condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      }),
    ]);
  });

  test('encrypts at rest and allows browser uploads', () => {
    expect(
      ci.inputs<Inputs>(
        'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
      ).rules,
    ).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }]);
    const [rule] = ci.inputs<Inputs>(
      'aws:s3/bucketCorsConfiguration:BucketCorsConfiguration',
      'BucketCors',
    ).corsRules;
    expect(rule.allowedMethods).toEqual(expect.arrayContaining(['PUT', 'POST']));
    expect(rule.exposeHeaders).toContain('ETag');
  });

  test('expires uploads and results by prefix and aborts stale multipart uploads', () => {
    const { rules } = ci.inputs<Inputs>('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration');
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          filter: { prefix: KEY_PREFIX.uploads },
          expiration: { days: ciOptions.storage.uploadsRetentionDays },
        }),
        expect.objectContaining({
          filter: { prefix: KEY_PREFIX.results },
          expiration: { days: JOB.retentionDays },
        }),
        expect.objectContaining({ abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } }),
      ]),
    );
  });

  test('the jobs table has the schema, index and TTL of core/config.ts', () => {
    const t = ci.inputs<Inputs>(T.table, 'JobsTableTable');
    expect(t.hashKey).toBe(TABLE.partitionKey);
    expect(t.rangeKey).toBeUndefined();
    expect(t.billingMode).toBe('PAY_PER_REQUEST');
    expect(t.attributes).toEqual([
      { name: TABLE.partitionKey, type: 'S' },
      { name: TABLE.statusIndex.partitionKey, type: 'S' },
      { name: TABLE.statusIndex.sortKey, type: 'S' },
      { name: TABLE.clientIndex.partitionKey, type: 'S' },
    ]);
    expect(t.globalSecondaryIndexes).toEqual([
      {
        name: TABLE.statusIndex.name,
        hashKey: TABLE.statusIndex.partitionKey,
        rangeKey: TABLE.statusIndex.sortKey,
        projectionType: 'ALL',
      },
      {
        name: TABLE.clientIndex.name,
        hashKey: TABLE.clientIndex.partitionKey,
        rangeKey: TABLE.clientIndex.sortKey,
        projectionType: 'ALL',
      },
    ]);
    expect(t.ttl).toEqual({ attributeName: TABLE.ttlAttribute, enabled: true });
    expect(t.deletionProtectionEnabled).toBe(false);
    expect(prod.inputs<Inputs>(T.table, 'JobsTableTable').deletionProtectionEnabled).toBe(true);
  });

  test('the clients table has the key and TTL of core/config.ts CLIENTS_TABLE', () => {
    const t = ci.inputs<Inputs>(T.table, 'ClientsTableTable');
    expect(t.hashKey).toBe(CLIENTS_TABLE.partitionKey);
    expect(t.attributes).toEqual([{ name: CLIENTS_TABLE.partitionKey, type: 'S' }]);
    expect(t.ttl).toEqual({ attributeName: CLIENTS_TABLE.ttlAttribute, enabled: true });
    expect(prod.inputs<Inputs>(T.table, 'ClientsTableTable').deletionProtectionEnabled).toBe(true);
  });
});

describe('queues', () => {
  test('the jobs queue has the timings of core/config.ts QUEUE and redrives to its DLQ', () => {
    const q = ci.inputs<Inputs>(T.queue, 'JobsQueueQueue');
    expect(q.visibilityTimeoutSeconds).toBe(QUEUE.visibilityTimeoutSec);
    expect(q.receiveWaitTimeSeconds).toBe(QUEUE.receiveWaitTimeSec);
    expect(q.messageRetentionSeconds).toBe(QUEUE.messageRetentionSec);
    expect(q.sqsManagedSseEnabled).toBe(true);
    expect(JSON.parse(q.redrivePolicy)).toEqual({
      deadLetterTargetArn: arnOf(ci, T.queue, 'JobsDeadLetterQueueQueue'),
      maxReceiveCount: QUEUE.maxReceiveCount,
    });
    expect(ci.inputs<Inputs>(T.queue, 'JobsDeadLetterQueueQueue').messageRetentionSeconds).toBe(
      QUEUE.deadLetterRetentionSec,
    );
  });

  test('the webhooks queue has its own DLQ and the visibility timeout of core/config.ts WEBHOOK', () => {
    const q = ci.inputs<Inputs>(T.queue, 'WebhooksQueueQueue');
    expect(q.visibilityTimeoutSeconds).toBe(WEBHOOK.visibilityTimeoutSec);
    // AWS's advice for a queue that triggers a function: at least 6 x the function's timeout.
    expect(q.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
      6 * ci.inputs<Inputs>(T.fn, 'WebhookDeliveryFunction').timeout,
    );
    expect(JSON.parse(q.redrivePolicy)).toEqual({
      deadLetterTargetArn: arnOf(ci, T.queue, 'WebhooksDeadLetterQueueQueue'),
      maxReceiveCount: ciOptions.webhooks.maxReceiveCount,
    });
  });
});

describe('ingest', () => {
  test('S3 notifies the ingest function for objects created under uploads/ only', () => {
    const n = ci.inputs<Inputs>('aws:s3/bucketNotification:BucketNotification');
    expect(n.bucket).toBe(ci.output.outputs.bucket);
    expect(n.queues).toEqual([]);
    expect(n.topics).toEqual([]);
    expect(n.lambdaFunctions).toEqual([
      {
        id: 'Ingest',
        events: ['s3:ObjectCreated:*'],
        filterPrefix: KEY_PREFIX.uploads,
        lambdaFunctionArn: arnOf(ci, T.fn, 'IngestFunction'),
      },
    ]);
    expect(n.lambdaFunctions[0].filterPrefix).toBe('uploads/');
    expect(
      ci.inputs('aws:lambda/permission:Permission', 'BucketNotificationsNotificationIngestPermission'),
    ).toMatchObject({
      action: 'lambda:InvokeFunction',
      principal: 's3.amazonaws.com',
      sourceArn: arnOf(ci, T.bucket, 'BucketBucket'),
    });
  });

  test('runs on arm64 Node 22 with a 30 s timeout and the resource variables', () => {
    const f = ci.inputs<Inputs>(T.fn, 'IngestFunction');
    expect(f.architectures).toEqual(['arm64']);
    expect(f.runtime).toBe('nodejs24.x');
    expect(f.timeout).toBe(30);
    expect(f.environment.variables).toMatchObject({
      FERRY_BUCKET: ci.output.outputs.bucket,
      FERRY_TABLE: ci.output.outputs.table,
      FERRY_QUEUE_URL: ci.output.outputs.queueUrl,
    });
    expect(f.environment.variables.FERRY_API_KEYS).toBeUndefined();
  });

  test('its role holds exactly the ingest statements', () => {
    expect(lambdaStatements(ci, 'IngestRole')).toEqual(strip(ingestStatements(arns(ci))));
  });

  test('events Lambda gave up on go to the failures queue', () => {
    expect(ci.inputs('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig')).toMatchObject({
      maximumRetryAttempts: 2,
      destinationConfig: { onFailure: { destination: arnOf(ci, T.queue, 'IngestFailuresQueueQueue') } },
    });
  });
});

describe('api', () => {
  test('one catch-all route reaches the API function through a v2 proxy integration', () => {
    expect(startingWith<Inputs>('aws:apigatewayv2/route:Route', 'ApiRoute').routeKey).toBe('$default');
    expect(startingWith('aws:apigatewayv2/integration:Integration', 'ApiRoute')).toMatchObject({
      integrationType: 'AWS_PROXY',
      payloadFormatVersion: '2.0',
      integrationUri: arnOf(ci, T.fn, 'ApiHandlerFunction'),
    });
  });

  test('answers CORS preflights and throttles', () => {
    const api = ci.inputs<Inputs>('aws:apigatewayv2/api:Api', 'ApiApi');
    expect(api.corsConfiguration.allowMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']));
    expect(api.corsConfiguration.allowHeaders).toContain('authorization');
    expect(ci.inputs<Inputs>('aws:apigatewayv2/stage:Stage', 'ApiStage').defaultRouteSettings).toEqual({
      throttlingRateLimit: ciOptions.api.throttleRatePerSec,
      throttlingBurstLimit: ciOptions.api.throttleBurst,
    });
  });

  test('gets the resource variables, the clients table and the parameter prefix', () => {
    expect(ci.inputs<Inputs>(T.fn, 'ApiHandlerFunction').environment.variables).toMatchObject({
      FERRY_BUCKET: ci.output.outputs.bucket,
      FERRY_TABLE: ci.output.outputs.table,
      FERRY_QUEUE_URL: ci.output.outputs.queueUrl,
      FERRY_WEBHOOK_QUEUE_URL: ci.output.outputs.webhookQueueUrl,
      FERRY_CLIENTS_TABLE: ci.output.outputs.clientsTable,
      FERRY_PARAMETER_PREFIX: '/ferry/ci',
      FERRY_CORS_ORIGINS: '*',
    });
  });

  test('its role holds exactly the API statements', () => {
    expect(lambdaStatements(ci, 'ApiHandlerRole')).toEqual(strip(apiStatements(arns(ci))));
  });
});

describe('webhooks', () => {
  test('the delivery function consumes the webhooks queue with partial batch responses', () => {
    expect(
      startingWith('aws:lambda/eventSourceMapping:EventSourceMapping', 'WebhooksQueueSubscriber'),
    ).toMatchObject({
      eventSourceArn: arnOf(ci, T.queue, 'WebhooksQueueQueue'),
      functionName: arnOf(ci, T.fn, 'WebhookDeliveryFunction'),
      functionResponseTypes: ['ReportBatchItemFailures'],
      batchSize: ciOptions.webhooks.batchSize,
    });
  });

  test('gets the parameter prefix and the queue it re-enqueues to', () => {
    expect(ci.inputs<Inputs>(T.fn, 'WebhookDeliveryFunction').environment.variables).toMatchObject({
      FERRY_TABLE: ci.output.outputs.table,
      FERRY_WEBHOOK_QUEUE_URL: ci.output.outputs.webhookQueueUrl,
      FERRY_PARAMETER_PREFIX: '/ferry/ci',
    });
  });

  test('its role holds exactly the webhook statements', () => {
    expect(lambdaStatements(ci, 'WebhookDeliveryRole')).toEqual(strip(webhookStatements(arns(ci))));
  });
});

describe('secrets', () => {
  /** Every variable of every Lambda function and ECS task definition of a stack. */
  function environments(s: Synth): Array<[string, Record<string, string>]> {
    const functions = s
      .all(T.fn)
      .map((f): [string, Record<string, string>] => [
        f.name,
        (f.inputs as Inputs).environment?.variables ?? {},
      ]);
    const tasks = s
      .all('aws:ecs/taskDefinition:TaskDefinition')
      .flatMap((t) =>
        (JSON.parse(String((t.inputs as Inputs).containerDefinitions)) as Array<Inputs>).map(
          (c): [string, Record<string, string>] => [
            `${t.name}/${c.name}`,
            Object.fromEntries(
              ((c.environment ?? []) as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]),
            ),
          ],
        ),
      );
    return [...functions, ...tasks];
  }

  test.each([
    ['ci', () => ci],
    ['production', () => prod],
  ])('%s: no function or task environment holds a secret', (_, stack) => {
    const all = environments(stack());
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const [where, variables] of all) {
      for (const [name, value] of Object.entries(variables)) {
        const context = `${where} ${name}`;
        expect(name, context).not.toMatch(/SECRET|PASSWORD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL/i);
        expect(String(value), context).not.toMatch(/whsec_|fry_|ci-random-password/);
      }
    }
  });

  test('the cursor key is a SecureString under the stage prefix', () => {
    expect(ci.inputs<Inputs>('aws:ssm/parameter:Parameter', 'CursorKeyParameter')).toMatchObject({
      name: PARAMETERS.cursorKey('/ferry/ci'),
      type: 'SecureString',
    });
  });

  test('each role reads exactly its own parameters, and the worker none', () => {
    const readers: Record<string, string[]> = {};
    for (const role of ['IngestRole', 'ApiHandlerRole', 'WebhookDeliveryRole']) {
      readers[role] = lambdaStatements(ci, role)
        .filter((st) => st.actions.some((a) => a.startsWith('ssm:')))
        .flatMap((st) => st.resources);
    }
    expect(readers).toEqual({
      IngestRole: [],
      ApiHandlerRole: ['arn:aws:ssm:us-east-1:123456789012:parameter/ferry/ci/api/cursor-key'],
      WebhookDeliveryRole: ['arn:aws:ssm:us-east-1:123456789012:parameter/ferry/ci/clients/*/webhook-secret'],
    });
    const rawPolicies = [...ci.all(T.rolePolicy), ...ci.all('aws:iam/policy:Policy')].map((p) =>
      String((p.inputs as Inputs).policy),
    );
    for (const policy of rawPolicies) expect(policy).not.toMatch(/"ssm:Get|"ssm:\*/);
  });
});

describe('every function role', () => {
  test.each(['IngestRole', 'ApiHandlerRole', 'WebhookDeliveryRole'])(
    '%s trusts Lambda only and has nothing overbroad',
    (role) => {
      const r = ci.inputs<Inputs>(T.role, role);
      expect(JSON.parse(r.assumeRolePolicy).Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
      const statements = lambdaStatements(ci, role).map((st, i) => ({
        sid: `S${i}`,
        effect: 'allow' as const,
        ...st,
      }));
      expect(overbroadStatements(statements)).toEqual([]);
    },
  );
});

describe('GPU fleet', () => {
  test('the task asks for one GPU on EC2 and gets its resources and execution providers', () => {
    const td = ci.inputs<Inputs>('aws:ecs/taskDefinition:TaskDefinition');
    expect(td.requiresCompatibilities).toEqual(['EC2']);
    expect(td.networkMode).toBe('awsvpc');
    const [container] = JSON.parse(td.containerDefinitions);
    expect(container.resourceRequirements).toEqual([{ type: 'GPU', value: '1' }]);
    expect(container.image).toBe(`${ci.output.outputs.repositoryUrl}:latest`);
    const env = Object.fromEntries(
      container.environment.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env).toEqual({
      AWS_REGION: 'us-east-1',
      FERRY_BUCKET: ci.output.outputs.bucket,
      FERRY_DLQ_URL: ci.output.outputs.dlqUrl,
      FERRY_EXECUTION_PROVIDERS: 'cuda,cpu',
      FERRY_HEALTH_PORT: '9400',
      FERRY_QUEUE_URL: ci.output.outputs.queueUrl,
      FERRY_TABLE: ci.output.outputs.table,
      FERRY_WEBHOOK_QUEUE_URL: ci.output.outputs.webhookQueueUrl,
    });
    expect(container.logConfiguration.options['awslogs-group']).toBe(ci.output.outputs.workerLogGroup);
    expect(container.healthCheck.command.join(' ')).toContain('http://127.0.0.1:9400/healthz');
    expect(ci.inputs<Inputs>('aws:cloudwatch/logGroup:LogGroup', 'WorkerLogGroup').retentionInDays).toBe(30);
  });

  test('the task role is scoped to its prefixes, queues and own tasks', () => {
    const policy = JSON.parse(ci.inputs<Inputs>(T.rolePolicy, 'WorkerTaskPolicy').policy);
    const expected = workerTaskStatements({
      ...arns(ci),
      jobsDeadLetterQueueArn: arnOf(ci, T.queue, 'JobsDeadLetterQueueQueue'),
      clusterTasksArn: clusterTasksArn({
        partition: 'aws',
        region: 'us-east-1',
        accountId: '123456789012',
        clusterName: 'ferry-ci-gpu',
      }),
    });
    expect(policy).toEqual(policyDocument(expected));
    expect(overbroadStatements(expected)).toEqual([]);
    expect(
      JSON.parse(ci.inputs<Inputs>(T.role, 'WorkerTaskRole').assumeRolePolicy).Statement[0].Principal,
    ).toEqual({
      Service: 'ecs-tasks.amazonaws.com',
    });
  });

  test('the execution role pulls only the worker image', () => {
    const policy = JSON.parse(ci.inputs<Inputs>(T.rolePolicy, 'WorkerExecutionPolicy').policy);
    expect(policy).toEqual(
      policyDocument(
        workerExecutionStatements({
          repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/ferry-ci-worker',
          logGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/ferry/ci/gpu-worker',
        }),
      ),
    );
  });

  test('instances boot the ECS GPU AMI from SSM, join the cluster with GPU support, IMDSv2 only', () => {
    const lt = ci.inputs<Inputs>('aws:ec2/launchTemplate:LaunchTemplate');
    expect(lt.imageId).toBe('ami-0123456789abcdef0');
    const userData = Buffer.from(lt.userData, 'base64').toString();
    expect(userData).toContain('ECS_CLUSTER=ferry-ci-gpu\n');
    expect(userData).toContain('ECS_ENABLE_GPU_SUPPORT=true\n');
    expect(userData).toContain('ECS_ENABLE_TASK_IAM_ROLE=true\n');
    expect(lt.metadataOptions).toEqual({
      httpEndpoint: 'enabled',
      httpTokens: 'required',
      httpPutResponseHopLimit: 1,
    });
    expect(lt.blockDeviceMappings[0].ebs).toMatchObject({ encrypted: 'true', volumeType: 'gp3' });
  });

  test('the Auto Scaling group starts at zero and leaves termination to ECS', () => {
    const asg = ci.inputs<Inputs>('aws:autoscaling/group:Group');
    expect(asg.minSize).toBe(0);
    expect(asg.maxSize).toBe(ciOptions.gpuFleet.maxWorkers);
    expect(asg.desiredCapacity).toBeUndefined();
    expect(asg.protectFromScaleIn).toBe(true);
    expect(asg.mixedInstancesPolicy.launchTemplate.overrides).toEqual([
      { instanceType: 'g6.xlarge' },
      { instanceType: 'g5.xlarge' },
    ]);
    expect(asg.mixedInstancesPolicy.instancesDistribution.onDemandPercentageAboveBaseCapacity).toBe(100);
    expect(asg.tags).toContainEqual({ key: 'AmazonECSManaged', value: 'true', propagateAtLaunch: true });
  });

  test('the instance role may only join this cluster, pull the worker image and write its log group', () => {
    const role = ci.inputs<Inputs>(T.role, 'GpuInstanceRole');
    expect(role.managedPolicyArns ?? []).toEqual([]);
    expect(ci.all('aws:iam/rolePolicyAttachment:RolePolicyAttachment')).toEqual([]);
    const policy = JSON.parse(ci.inputs<Inputs>(T.rolePolicy, 'GpuInstancePolicy').policy);
    const expected = instanceStatements({
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/ferry-ci-gpu',
      containerInstancesArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/ferry-ci-gpu/*',
      repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/ferry-ci-worker',
      logGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/ferry/ci/gpu-worker',
    });
    expect(policy).toEqual(policyDocument(expected));
    expect(overbroadStatements(expected)).toEqual([]);
    const resources = policy.Statement.flatMap((st: Inputs) => st.Resource);
    expect(resources.filter((r: string) => r.includes(':repository/'))).toEqual([
      'arn:aws:ecr:us-east-1:123456789012:repository/ferry-ci-worker',
    ]);
    expect(resources.filter((r: string) => r.includes(':log-group:'))).toEqual([
      'arn:aws:logs:us-east-1:123456789012:log-group:/ferry/ci/gpu-worker:*',
    ]);
  });

  test('removable stages force-delete the cluster pieces; production keeps them', () => {
    const ciAsg = ci.inputs<Inputs>('aws:autoscaling/group:Group');
    const prodAsg = prod.inputs<Inputs>('aws:autoscaling/group:Group');
    expect([ciAsg.forceDelete, ciAsg.forceDeleteWarmPool]).toEqual([true, true]);
    expect([prodAsg.forceDelete, prodAsg.forceDeleteWarmPool]).toEqual([false, false]);
    expect(ci.inputs<Inputs>('aws:ecs/service:Service').forceDelete).toBe(true);
    expect(prod.inputs<Inputs>('aws:ecs/service:Service').forceDelete).toBe(false);
    expect(ci.inputs<Inputs>('aws:ecr/repository:Repository').forceDelete).toBe(true);
    expect(prod.inputs<Inputs>('aws:ecr/repository:Repository').forceDelete).toBe(false);
  });

  test('no Spot capacity rebalancing beside scale-in protection; a faster gp3 root volume', () => {
    for (const s of [ci, prod]) {
      expect(s.inputs<Inputs>('aws:autoscaling/group:Group').capacityRebalance).toBe(false);
      const ebs = s.inputs<Inputs>('aws:ec2/launchTemplate:LaunchTemplate').blockDeviceMappings[0].ebs;
      expect(ebs).toMatchObject({ volumeType: 'gp3', throughput: 500, iops: 3000 });
    }
    expect(ci.inputs<Inputs>('aws:autoscaling/group:Group').warmPool).toBeUndefined();
  });

  test('the capacity provider manages scaling and termination protection', () => {
    const cp = ci.inputs<Inputs>('aws:ecs/capacityProvider:CapacityProvider');
    expect(cp.autoScalingGroupProvider).toMatchObject({
      managedTerminationProtection: 'ENABLED',
      managedScaling: { status: 'ENABLED', targetCapacity: 100 },
    });
    expect(
      ci.inputs<Inputs>('aws:ecs/clusterCapacityProviders:ClusterCapacityProviders')
        .defaultCapacityProviderStrategies,
    ).toEqual([{ capacityProvider: cp.name, weight: 1, base: 0 }]);
  });

  test('the service starts at zero tasks on the capacity provider, in private subnets, with a circuit breaker', () => {
    const svc = ci.inputs<Inputs>('aws:ecs/service:Service');
    expect(svc.desiredCount).toBe(0);
    expect(svc.launchType).toBeUndefined();
    expect(svc.capacityProviderStrategies).toEqual([
      { capacityProvider: 'ferry-ci-gpu', weight: 1, base: 0 },
    ]);
    expect(svc.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    expect(svc.networkConfiguration.assignPublicIp).toBe(false);
    expect(svc.networkConfiguration.subnets).toEqual([
      'NetworkPrivateSubnet1-id',
      'NetworkPrivateSubnet2-id',
    ]);
  });
});

describe('scaling', () => {
  const plan = scalingPlan({ ...ciOptions.scaling, maxWorkers: ciOptions.gpuFleet.maxWorkers });
  const policy = (name: string) => ci.inputs<Inputs>(T.policy, name);
  const alarmOf = (name: string) => ci.inputs<Inputs>(T.alarm, name);
  const metricNames = (queries: Inputs[]) =>
    queries.filter((q) => q.metric).map((q) => `${q.metric.namespace}/${q.metric.metricName}`);

  test('the scalable target spans zero to maxWorkers tasks of the worker service', () => {
    expect(ci.inputs('aws:appautoscaling/target:Target')).toMatchObject({
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: 'service/ferry-ci-gpu/gpu-worker',
      minCapacity: 0,
      maxCapacity: ciOptions.gpuFleet.maxWorkers,
    });
  });

  test('one visible message with no worker running starts one worker after one datapoint', () => {
    const start = alarmOf('WorkerStartAlarm');
    expect(start).toMatchObject({
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
    });
    expect(start.alarmActions).toEqual([expect.stringContaining('WorkerStartFromZero')]);
    expect(start.metricQueries.find((q: Inputs) => q.returnData).expression).toBe(
      'IF(FILL(tasks, -1) < 0, visible, 0)',
    );
    const visible = start.metricQueries.find((q: Inputs) => q.id === 'visible').metric;
    expect(visible).toMatchObject({
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: ci.inputs<Inputs>(T.queue, 'JobsQueueQueue').name },
    });
    expect(start.metricQueries.find((q: Inputs) => q.id === 'tasks').metric.dimensions).toEqual({
      ClusterName: 'ferry-ci-gpu',
      ServiceName: 'gpu-worker',
    });
    const config = policy('WorkerStartFromZero').stepScalingPolicyConfiguration;
    expect(config).toEqual({
      adjustmentType: 'ExactCapacity',
      cooldown: ciOptions.scaling.scaleOutCooldownSec,
      metricAggregationType: 'Maximum',
      stepAdjustments: plan.startFromZero.steps.map(toPulumiStep),
    });
    // Metric 1 -> 1 - threshold 1 = 0: the first step, one worker.
    expect(config.stepAdjustments[0]).toMatchObject({ metricIntervalLowerBound: '0', scalingAdjustment: 1 });
  });

  test('target tracking on backlog per in-service instance only scales out', () => {
    const tt = policy('WorkerTrackBacklog');
    expect(tt.policyType).toBe('TargetTrackingScaling');
    const c = tt.targetTrackingScalingPolicyConfiguration;
    expect(c).toMatchObject({
      targetValue: plan.targetBacklogPerWorker,
      disableScaleIn: true,
      scaleOutCooldown: ciOptions.scaling.scaleOutCooldownSec,
    });
    const metrics = c.customizedMetricSpecification.metrics as Inputs[];
    expect(metrics.filter((m) => m.returnData).map((m) => m.expression)).toEqual([
      'IF(FILL(instances, 0) > 0, (visible + inflight) / instances, 0)',
    ]);
    expect(metrics.find((m) => m.id === 'instances')?.metricStat.metric).toEqual({
      namespace: 'AWS/AutoScaling',
      metricName: 'GroupInServiceInstances',
      dimensions: [{ name: 'AutoScalingGroupName', value: 'GpuAutoScalingGroup' }],
    });
    // The group publishes that metric (free at one-minute granularity).
    const asg = ci.inputs<Inputs>('aws:autoscaling/group:Group');
    expect(asg.enabledMetrics).toContain('GroupInServiceInstances');
    expect(asg.metricsGranularity).toBe('1Minute');
  });

  test('scale-in is a separate, slower policy that never goes below one worker', () => {
    const alarm = alarmOf('WorkerScaleInAlarm');
    expect(alarm.alarmActions).toEqual([expect.stringContaining('WorkerScaleIn')]);
    expect(alarm).toMatchObject({
      evaluationPeriods: ciOptions.scaling.scaleInMinutes,
      datapointsToAlarm: ciOptions.scaling.scaleInMinutes,
    });
    expect(alarm.evaluationPeriods).toBeGreaterThan(alarmOf('WorkerStartAlarm').evaluationPeriods);
    const config = policy('WorkerScaleIn').stepScalingPolicyConfiguration;
    expect(config.cooldown).toBe(ciOptions.scaling.scaleInCooldownSec);
    expect(config.cooldown).toBeGreaterThan(ciOptions.scaling.scaleOutCooldownSec);
    expect(Math.min(...config.stepAdjustments.map((a: Inputs) => a.scalingAdjustment))).toBe(1);
    expect(metricNames(alarm.metricQueries)).toEqual([
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
      'AWS/SQS/ApproximateNumberOfMessagesNotVisible',
      'AWS/AutoScaling/GroupInServiceInstances',
    ]);
  });

  test('the service goes to zero only after the queue was empty for the whole idle period', () => {
    const idle = alarmOf('WorkerIdleAlarm');
    expect(idle.alarmActions).toEqual([expect.stringContaining('WorkerScaleToZero')]);
    expect(idle).toMatchObject({
      threshold: 0,
      comparisonOperator: 'LessThanOrEqualToThreshold',
      evaluationPeriods: ciOptions.scaling.scaleInIdleMinutes,
      datapointsToAlarm: ciOptions.scaling.scaleInIdleMinutes,
      treatMissingData: 'breaching',
    });
    expect(policy('WorkerScaleToZero').stepScalingPolicyConfiguration.stepAdjustments).toEqual([
      { metricIntervalUpperBound: '0', scalingAdjustment: 0 },
    ]);
    const jobsQueue = ci.inputs<Inputs>(T.queue, 'JobsQueueQueue').name;
    for (const q of idle.metricQueries.filter((m: Inputs) => m.metric))
      expect(q.metric.dimensions).toEqual({ QueueName: jobsQueue });
  });
});

describe('alarms', () => {
  test('any message in a dead-letter queue raises an alarm on the topic', () => {
    for (const [alarm, queue] of [
      ['JobsDeadLetterAlarm', 'JobsDeadLetterQueueQueue'],
      ['WebhooksDeadLetterAlarm', 'WebhooksDeadLetterQueueQueue'],
      ['IngestFailuresAlarm', 'IngestFailuresQueueQueue'],
      ['PushFanoutFailuresAlarm', 'PushFanoutFailuresQueueQueue'],
    ] as const) {
      const a = ci.inputs<Inputs>(T.alarm, alarm);
      expect(a).toMatchObject({
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        alarmActions: [ci.output.outputs.alarmTopic],
      });
      // Visible + hidden: the worker's sweep hides dead letters it has handled.
      expect(a.metricQueries.find((q: Inputs) => q.returnData).expression).toBe('visible + inflight');
      const metrics = a.metricQueries.filter((q: Inputs) => q.metric).map((q: Inputs) => q.metric);
      expect(metrics.map((m: Inputs) => m.metricName)).toEqual([
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesNotVisible',
      ]);
      for (const m of metrics)
        expect(m.dimensions).toEqual({ QueueName: ci.inputs<Inputs>(T.queue, queue).name });
    }
  });

  test('alarms are named by app and stage', () => {
    expect(
      ci
        .all(T.alarm)
        .map((a) => (a.inputs as Inputs).name)
        .sort(),
    ).toEqual([
      'ferry-ci-ingest-failures',
      'ferry-ci-jobs-dead-letters',
      'ferry-ci-jobs-waiting-too-long',
      'ferry-ci-orphaned-uploads',
      'ferry-ci-push-fanout-failures',
      'ferry-ci-scaling-idle',
      'ferry-ci-scaling-scale-in',
      'ferry-ci-scaling-start',
      'ferry-ci-webhook-dead-letters',
    ]);
  });

  test('uploads found without a job raise an alarm, on the metric the reconciler publishes', () => {
    expect(ci.inputs(T.alarm, 'OrphanedUploadsAlarm')).toMatchObject({
      namespace: METRICS_NAMESPACE,
      metricName: RECOVERY_METRICS.orphans,
      dimensions: { service: RECOVERY_METRICS.service },
      statistic: 'Sum',
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });
  });

  test('jobs waiting too long raise an alarm', () => {
    expect(ci.inputs(T.alarm, 'JobsOldestMessageAlarm')).toMatchObject({
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: ci.inputs<Inputs>(T.queue, 'JobsQueueQueue').name },
      threshold: ciOptions.alarms.oldestJobAgeSec,
    });
  });
});

describe('network', () => {
  test('S3 and DynamoDB gateway endpoints serve the private route tables on every stage', () => {
    for (const s of [ci, prod]) {
      const gateways = s.all('aws:ec2/vpcEndpoint:VpcEndpoint').map((e) => e.inputs as Inputs);
      expect(gateways.map((g) => [g.serviceName, g.vpcEndpointType])).toEqual([
        ['com.amazonaws.us-east-1.s3', 'Gateway'],
        ['com.amazonaws.us-east-1.dynamodb', 'Gateway'],
      ]);
      for (const g of gateways)
        expect(g.routeTableIds).toEqual(['NetworkPrivateRouteTable1-id', 'NetworkPrivateRouteTable2-id']);
    }
  });

  test('production egresses through NAT gateways, other stages through NAT instances', () => {
    expect(prod.all('aws:ec2/natGateway:NatGateway')).toHaveLength(prodOptions.network.azCount);
    expect(prod.all('aws:ec2/instance:Instance')).toHaveLength(0);
    expect(ci.all('aws:ec2/natGateway:NatGateway')).toHaveLength(0);
    expect(ci.all('aws:ec2/instance:Instance')).toHaveLength(ciOptions.network.azCount);
  });

  test('the workers accept no inbound traffic', () => {
    const sg = ci.inputs<Inputs>('aws:ec2/securityGroup:SecurityGroup', 'WorkerSecurityGroup');
    expect(sg.ingress ?? []).toEqual([]);
  });
});
