/**
 * The reconciler under Pulumi mocks: a scheduled rule every RECONCILE.everySec invokes the
 * reconciler function, whose role may only query the status index, update jobs and send to the
 * jobs and webhooks queues.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { FUNCTIONS, RECONCILE } from '../../../core/config.ts';
import { handlerOf } from '../../../infra/options.ts';
import { type Synth, synthesize } from '../../support/infra/synth.ts';

// biome-ignore lint/suspicious/noExplicitAny: synthesised inputs are JSON that the tests walk by path.
type Inputs = Record<string, any>;

let ci: Synth;
beforeAll(async () => {
  ci = await synthesize('ci');
}, 240_000);

describe('reconciler', () => {
  test(`runs every ${RECONCILE.everySec} s on an EventBridge schedule, targeting its function`, () => {
    const rule = ci.all('aws:cloudwatch/eventRule:EventRule').find((r) => /Reconciler/.test(r.name));
    expect(rule?.inputs).toMatchObject({ scheduleExpression: 'rate(1 minute)' });
    const target = ci.all('aws:cloudwatch/eventTarget:EventTarget').find((r) => /Reconciler/.test(r.name));
    expect(target).toBeDefined();
    const build = ci.output.builds.find((b) => /Reconciler/.test(b.functionID));
    expect(build?.handler).toBe(handlerOf(FUNCTIONS.reconciler.entry));
  });

  test('its role may query the status index, write jobs, send job and webhook messages and recover lost uploads, nothing else', () => {
    const role = ci.all('aws:iam/role:Role').find((r) => /Reconciler/.test(r.name));
    expect(role).toBeDefined();
    const policies = (role?.inputs as Inputs | undefined)?.inlinePolicies as Array<{ policy: string }>;
    const doc = JSON.parse(policies[0]?.policy ?? '{}') as {
      Statement: Array<{ Action: string[]; Resource: string[] }>;
    };
    const actions = doc.Statement.flatMap((s) => s.Action).sort();
    expect(actions).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'dynamodb:UpdateItem',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
      'sqs:SendMessage',
    ]);
    // Ingest recovery reads uploads/ only, and consumes only the ingest failures queue.
    const byAction = (action: string) =>
      doc.Statement.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);
    expect(byAction('s3:GetObject').every((r) => r.endsWith('/uploads/*'))).toBe(true);
    expect(byAction('sqs:ReceiveMessage').every((r) => /ingest-failures|IngestFailures/i.test(r))).toBe(true);
    const resources = doc.Statement.flatMap((s) => s.Resource);
    expect(resources.some((r) => r.endsWith('/index/byStatus'))).toBe(true);
    expect(resources.every((r) => r !== '*')).toBe(true);
  });
});
