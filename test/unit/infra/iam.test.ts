/**
 * infra/iam: every role gets the actions its code calls, on the narrowest resource that exists;
 * a "*" resource is left only where AWS offers nothing narrower.
 */
import { describe, expect, test } from 'vitest';
import { KEY_PREFIX, TABLE } from '../../../core/config.ts';
import {
  apiStatements,
  assumeRolePolicy,
  clusterTasksArn,
  ingestStatements,
  overbroadStatements,
  policyDocument,
  type Statement,
  scoped,
  WILDCARD_ONLY_ACTIONS,
  webhookStatements,
  workerExecutionStatements,
  workerTaskStatements,
} from '../../../infra/iam.ts';

const ARN = {
  bucketArn: 'arn:aws:s3:::ferry-ci-bucket',
  tableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/ferry-ci-jobs',
  jobsQueueArn: 'arn:aws:sqs:us-east-1:123456789012:ferry-ci-jobs',
  jobsDeadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:ferry-ci-jobs-dlq',
  webhooksQueueArn: 'arn:aws:sqs:us-east-1:123456789012:ferry-ci-webhooks',
  failuresQueueArn: 'arn:aws:sqs:us-east-1:123456789012:ferry-ci-ingest-failures',
  clientsTableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/ferry-ci-clients',
  cursorKeyArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/ferry/ci/api/cursor-key',
  webhookSecretsArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/ferry/ci/clients/*/webhook-secret',
  repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/ferry-ci-worker',
  logGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/ferry/ci/gpu-worker',
  clusterTasksArn: clusterTasksArn({
    partition: 'aws',
    region: 'us-east-1',
    accountId: '123456789012',
    clusterName: 'ferry-ci-gpu',
  }),
};

/** action -> resources, merged over statements. */
function grants(statements: Statement[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of statements) for (const a of s.actions) out[a] = [...(out[a] ?? []), ...s.resources].sort();
  return out;
}

const ROLES = {
  ingest: ingestStatements(ARN),
  api: apiStatements(ARN),
  webhook: webhookStatements(ARN),
  workerTask: workerTaskStatements(ARN),
  workerExecution: workerExecutionStatements(ARN),
};

describe('every role', () => {
  test.each(Object.entries(ROLES))('%s has no overbroad statement', (_role, statements) => {
    expect(overbroadStatements(statements)).toEqual([]);
    for (const s of statements) {
      expect(s.actions.every((a) => !a.includes('*'))).toBe(true);
      for (const r of s.resources) {
        if (r === '*') expect(s.actions.every((a) => WILDCARD_ONLY_ACTIONS.includes(a))).toBe(true);
      }
    }
  });

  test.each(Object.entries(ROLES))('%s has unique alphanumeric statement ids', (_role, statements) => {
    const sids = statements.map((s) => s.sid);
    expect(new Set(sids).size).toBe(sids.length);
    for (const sid of sids) expect(sid).toMatch(/^[A-Za-z0-9]+$/);
  });
});

describe('ingest', () => {
  test('reads only uploads/, writes jobs, sends only to the jobs queue', () => {
    expect(grants(ROLES.ingest)).toEqual({
      's3:GetObject': [`${ARN.bucketArn}/${KEY_PREFIX.uploads}*`],
      's3:DeleteObject': [`${ARN.bucketArn}/${KEY_PREFIX.uploads}*`],
      'dynamodb:GetItem': [ARN.clientsTableArn, ARN.tableArn].sort(),
      'dynamodb:PutItem': [ARN.tableArn],
      'dynamodb:UpdateItem': [ARN.tableArn],
      'sqs:SendMessage': [ARN.failuresQueueArn, ARN.jobsQueueArn].sort(),
    });
  });
});

describe('api', () => {
  test('presigns only into uploads/, reads only results/, queries only the client index, reads only the cursor key', () => {
    expect(grants(ROLES.api)).toEqual({
      's3:PutObject': [`${ARN.bucketArn}/${KEY_PREFIX.uploads}*`],
      's3:GetObject': [`${ARN.bucketArn}/${KEY_PREFIX.results}*`],
      's3:AbortMultipartUpload': [`${ARN.bucketArn}/${KEY_PREFIX.uploads}*`],
      's3:ListMultipartUploadParts': [`${ARN.bucketArn}/${KEY_PREFIX.uploads}*`],
      'dynamodb:GetItem': [ARN.clientsTableArn, ARN.tableArn].sort(),
      'dynamodb:PutItem': [ARN.tableArn],
      'dynamodb:UpdateItem': [ARN.clientsTableArn, ARN.tableArn].sort(),
      'dynamodb:Query': [`${ARN.tableArn}/index/${TABLE.clientIndex.name}`],
      'sqs:SendMessage': [ARN.webhooksQueueArn],
      'ssm:GetParameter': [ARN.cursorKeyArn],
    });
  });
});

describe('webhook delivery', () => {
  test('consumes and re-enqueues on the webhooks queue only, updates jobs', () => {
    const g = grants(ROLES.webhook);
    for (const action of [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
      'sqs:SendMessage',
    ]) {
      expect(g[action]).toEqual([ARN.webhooksQueueArn]);
    }
    expect(g['dynamodb:UpdateItem']).toEqual([ARN.tableArn]);
    expect(g['dynamodb:GetItem']).toEqual([ARN.tableArn]);
    expect(g['dynamodb:PutItem']).toBeUndefined();
    expect(g['ssm:GetParameter']).toEqual([ARN.webhookSecretsArn]);
    expect(Object.keys(g).some((a) => a.startsWith('s3:'))).toBe(false);
  });
});

describe('GPU worker', () => {
  test('task role reads uploads/, writes results/, consumes the jobs queue, sweeps its DLQ, reconciles through the status index, protects its own tasks', () => {
    expect(grants(ROLES.workerTask)).toEqual({
      's3:GetObject': [
        `${ARN.bucketArn}/${KEY_PREFIX.results}*/checkpoint.json`,
        `${ARN.bucketArn}/${KEY_PREFIX.uploads}*`,
      ],
      's3:PutObject': [`${ARN.bucketArn}/${KEY_PREFIX.results}*`],
      's3:DeleteObject': [`${ARN.bucketArn}/${KEY_PREFIX.results}*/checkpoint.json`],
      'dynamodb:GetItem': [ARN.tableArn],
      'dynamodb:UpdateItem': [ARN.tableArn],
      'dynamodb:Query': [`${ARN.tableArn}/index/${TABLE.statusIndex.name}`],
      'sqs:ReceiveMessage': [ARN.jobsDeadLetterQueueArn, ARN.jobsQueueArn].sort(),
      'sqs:DeleteMessage': [ARN.jobsQueueArn],
      'sqs:ChangeMessageVisibility': [ARN.jobsQueueArn],
      'sqs:GetQueueAttributes': [ARN.jobsQueueArn],
      'sqs:SendMessage': [ARN.jobsQueueArn, ARN.webhooksQueueArn].sort(),
      'ecs:UpdateTaskProtection': ['arn:aws:ecs:us-east-1:123456789012:task/ferry-ci-gpu/*'],
      'ecs:GetTaskProtection': ['arn:aws:ecs:us-east-1:123456789012:task/ferry-ci-gpu/*'],
    });
  });

  test('execution role pulls from its repository and logs to its group; only the ECR login is "*"', () => {
    expect(grants(ROLES.workerExecution)).toEqual({
      'ecr:GetAuthorizationToken': ['*'],
      'ecr:BatchCheckLayerAvailability': [ARN.repositoryArn],
      'ecr:GetDownloadUrlForLayer': [ARN.repositoryArn],
      'ecr:BatchGetImage': [ARN.repositoryArn],
      'logs:CreateLogStream': [`${ARN.logGroupArn}:*`],
      'logs:PutLogEvents': [`${ARN.logGroupArn}:*`],
    });
  });
});

describe('overbroadStatements', () => {
  const s = (actions: string[], resources: string[]): Statement => ({
    sid: 'X',
    effect: 'allow',
    actions,
    resources,
  });

  test('flags "*" resources, whole-bucket object patterns and service wildcards', () => {
    expect(overbroadStatements([s(['sqs:SendMessage'], ['*'])])).toHaveLength(1);
    expect(overbroadStatements([s(['s3:GetObject'], [`${ARN.bucketArn}/*`])])).toHaveLength(1);
    expect(overbroadStatements([s(['s3:*'], [`${ARN.bucketArn}/uploads/*`])])).toHaveLength(1);
    expect(overbroadStatements([s(['ecr:GetAuthorizationToken'], ['*'])])).toHaveLength(0);
  });

  test('scoped() refuses overbroad statements, naming the role and statement', () => {
    expect(() => scoped('Ingest', [s(['dynamodb:GetItem'], ['*'])])).toThrow(/Ingest.*X/);
  });
});

describe('documents', () => {
  test('policyDocument renders IAM JSON with Allow statements', () => {
    expect(policyDocument(ROLES.webhook).Statement[0]).toEqual({
      Sid: 'ConsumeWebhooks',
      Effect: 'Allow',
      Action: [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueAttributes',
      ],
      Resource: [ARN.webhooksQueueArn],
    });
  });

  test('assumeRolePolicy trusts one service, limited to the account when given', () => {
    const doc = JSON.parse(assumeRolePolicy('ecs-tasks.amazonaws.com', '123456789012'));
    expect(doc.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    ]);
    expect(JSON.parse(assumeRolePolicy('lambda.amazonaws.com')).Statement[0].Condition).toBeUndefined();
  });
});
