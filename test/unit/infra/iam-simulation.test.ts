/**
 * The IAM simulation (test/support/infra/iam-simulation.ts, recorded-calls.ts) on the real
 * synthesised stack: recorded emulator calls become the IAM requests AWS would authorise, each is
 * evaluated against its component's role, and a grant taken away fails naming the component,
 * the call and the missing action.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type { AwsCall } from '../../../core/aws-calls.ts';
import { LOCAL_RESOURCES, TABLE } from '../../../core/config.ts';
import {
  COMPONENT_ROLES,
  evaluate,
  iamRequestsOf,
  type PolicyStatement,
  roleStatements,
  type StackNames,
  stackNames,
} from '../../support/infra/iam-simulation.ts';
import { checkCalls } from '../../support/infra/recorded-calls.ts';
import { type Synth, synthesize } from '../../support/infra/synth.ts';

let synth: Synth;
let names: StackNames;
let policies: Parameters<typeof checkCalls>[1];

beforeAll(async () => {
  synth = await synthesize('ci');
  names = stackNames(synth);
  policies = Object.fromEntries(
    Object.entries(COMPONENT_ROLES).map(([c, role]) => [c, roleStatements(synth, role)]),
  ) as typeof policies;
}, 240_000);

const suffix = '1a2b3c4d';
const local = (name: string) => `${name}-${suffix}`;
const queueUrl = (name: string) => `http://127.0.0.1:4604/000000000000/${local(name)}`;
const call = (component: string, service: string, operation: string, resources: Record<string, unknown>) =>
  ({ component, service, operation, resources }) as AwsCall;

/** What every worker does each minute (core/reconcile.ts), besides its jobs. */
const workerReconcile = [
  call('worker', 'DynamoDB', 'Query', {
    TableName: local(LOCAL_RESOURCES.table),
    IndexName: TABLE.statusIndex.name,
  }),
  call('worker', 'SQS', 'SendMessage', { QueueUrl: queueUrl(LOCAL_RESOURCES.queue) }),
];

describe('iamRequestsOf', () => {
  test("maps emulator names to the stack's and operations to the actions AWS authorises them as", () => {
    const bucket = `arn:aws:s3:::${names.bucket}`;
    expect(
      iamRequestsOf(
        call('ingest', 'S3', 'HeadObject', { Bucket: local(LOCAL_RESOURCES.bucket), Key: 'uploads/a.png' }),
        names,
      ),
    ).toEqual([{ action: 's3:GetObject', resource: `${bucket}/uploads/a.png` }]);
    expect(
      iamRequestsOf(
        call('reconciler', 'S3', 'ListObjectsV2', {
          Bucket: local(LOCAL_RESOURCES.bucket),
          Prefix: 'uploads/',
        }),
        names,
      ),
    ).toEqual([{ action: 's3:ListBucket', resource: bucket }]);
    const [query] = iamRequestsOf(workerReconcile[0] as AwsCall, names);
    expect(query?.resource).toMatch(
      /^arn:aws:dynamodb:us-east-1:123456789012:table\/ferry-ci-JobsTable.*\/index\/byStatus$/,
    );
    // The DLQ is not the jobs queue with a suffix.
    const [dlq] = iamRequestsOf(
      call('worker', 'SQS', 'ReceiveMessage', { QueueUrl: queueUrl(LOCAL_RESOURCES.deadLetterQueue) }),
      names,
    );
    expect(dlq?.resource).toMatch(/JobsDeadLetterQueueQueue/);
    expect(
      iamRequestsOf(
        call('api', 'SSM', 'GetParameter', {
          Name: `${local(LOCAL_RESOURCES.parameterPrefix)}/api/cursor-key`,
        }),
        names,
      ),
    ).toEqual([
      {
        action: 'ssm:GetParameter',
        resource: 'arn:aws:ssm:us-east-1:123456789012:parameter/ferry/ci/api/cursor-key',
      },
    ]);
  });

  test('refuses an operation it has no mapping for, and a resource the stack does not have', () => {
    expect(() => iamRequestsOf(call('api', 'S3', 'PutBucketPolicy', { Bucket: 'x' }), names)).toThrow(
      /no IAM mapping for S3 PutBucketPolicy \(component api\)/,
    );
    expect(() =>
      iamRequestsOf(
        call('api', 'SQS', 'SendMessage', { QueueUrl: 'http://127.0.0.1:1/0/other-queue' }),
        names,
      ),
    ).toThrow(/the queue other-queue is none of the stack's/);
  });
});

describe('evaluate', () => {
  const allow = (Action: string[], Resource: string[], Sid = 'A'): PolicyStatement => ({
    Sid,
    Effect: 'Allow',
    Action,
    Resource,
  });

  test('matches actions case-insensitively and ARNs with * and ?, an explicit Deny winning', () => {
    const s = [allow(['s3:getobject'], ['arn:aws:s3:::b/uploads/*'])];
    expect(evaluate(s, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/uploads/x/y.png' }).allowed).toBe(
      true,
    );
    expect(evaluate(s, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/results/x' }).allowed).toBe(false);
    expect(evaluate(s, { action: 's3:PutObject', resource: 'arn:aws:s3:::b/uploads/x' }).allowed).toBe(false);
    expect(
      evaluate([allow(['sqs:*'], ['arn:aws:sqs:*:*:q?'])], {
        action: 'sqs:SendMessage',
        resource: 'arn:aws:sqs:r:1:q1',
      }).allowed,
    ).toBe(true);
    const deny: PolicyStatement = { Sid: 'D', Effect: 'Deny', Action: ['s3:*'], Resource: ['*'] };
    expect(evaluate([...s, deny], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/uploads/x' })).toEqual({
      allowed: false,
      reason: 'denied by D',
    });
  });

  test('refuses to guess at a condition', () => {
    const conditional = {
      ...allow(['s3:GetObject'], ['*']),
      Condition: { Bool: { 'aws:SecureTransport': 'true' } },
    };
    expect(() => evaluate([conditional], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' })).toThrow(
      /condition/,
    );
  });
});

describe('checkCalls against the synthesised roles', () => {
  test("the worker's reconciler is allowed its status-index query and the jobs queue send", () => {
    const { failures, summary } = checkCalls(workerReconcile, policies, names, { requireAll: false });
    expect(failures).toEqual([]);
    expect(summary).toEqual(['worker (WorkerTaskRole): 2 distinct requests, all allowed']);
  });

  test('a grant taken away fails, naming the component, the call and the missing action', () => {
    const withoutQuery = {
      ...policies,
      worker: policies.worker.map((s) => ({
        ...s,
        Action: [s.Action ?? []].flat().filter((a) => a !== 'dynamodb:Query'),
      })),
    };
    const { failures } = checkCalls(workerReconcile, withoutQuery, names, { requireAll: false });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /^worker \(WorkerTaskRole\) lacks dynamodb:Query on arn:aws:dynamodb:.*\/index\/byStatus: DynamoDB Query .*ferry-jobs-1a2b3c4d.*, no statement allows it$/,
    );
  });

  test('a full run fails for each role component that recorded nothing, so it cannot pass on an empty log', () => {
    const { failures } = checkCalls(workerReconcile, policies, names, { requireAll: true });
    expect(failures).toEqual(
      Object.keys(COMPONENT_ROLES)
        .filter((c) => c !== 'worker')
        .map((c) => `${c}: no AWS calls recorded (is its recorder wired?)`),
    );
  });

  test('calls without a known component fail', () => {
    const { failures } = checkCalls(
      [call('unknown', 'SQS', 'SendMessage', { QueueUrl: queueUrl(LOCAL_RESOURCES.queue) })],
      policies,
      names,
      {
        requireAll: false,
      },
    );
    expect(failures[0]).toMatch(/unknown component "unknown"/);
  });
});
