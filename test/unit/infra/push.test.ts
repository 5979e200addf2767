/**
 * The push channel in the synthesised stack (Pulumi mocks, no AWS): the jobs table streams new
 * and old images to the fan-out function, one socket function serves every WebSocket route, and
 * both find the connections table and the @connections endpoint in their environment.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { PUSH } from '../../../core/push-config.ts';
import { type Synth, synthesize } from '../../support/infra/synth.ts';

// biome-ignore lint/suspicious/noExplicitAny: synthesised inputs are untyped
type Inputs = Record<string, any>;
let ci: Synth;

beforeAll(async () => {
  ci = await synthesize('ci');
});

describe('push channel', () => {
  test('the jobs table streams new and old images to the fan-out function', () => {
    const table = ci.all('aws:dynamodb/table:Table').find((r) => r.name === 'JobsTableTable');
    expect(table?.inputs).toMatchObject({ streamEnabled: true, streamViewType: 'NEW_AND_OLD_IMAGES' });
    const mapping = ci
      .all('aws:lambda/eventSourceMapping:EventSourceMapping')
      .find((r) => r.name.startsWith('JobsTableSubscriber'));
    expect(mapping?.inputs).toMatchObject({ batchSize: PUSH.streamBatchSize, startingPosition: 'LATEST' });
  });

  test('one failing batch cannot stop the stream: partial failures, bisect, bounded retries and age, a failures queue', () => {
    const mapping = ci
      .all('aws:lambda/eventSourceMapping:EventSourceMapping')
      .find((r) => r.name.startsWith('JobsTableSubscriber'));
    const queue = ci.inputs<Inputs>('aws:sqs/queue:Queue', 'PushFanoutFailuresQueueQueue');
    expect(queue).toMatchObject({ sqsManagedSseEnabled: true });
    const queueArn = `arn:aws:sqs:us-east-1:123456789012:${queue.name}`;
    expect(mapping?.inputs).toMatchObject({
      functionResponseTypes: ['ReportBatchItemFailures'],
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: PUSH.streamMaxRetryAttempts,
      maximumRecordAgeInSeconds: PUSH.streamMaxRecordAgeSec,
      parallelizationFactor: PUSH.streamParallelizationFactor,
      destinationConfig: { onFailure: { destinationArn: queueArn } },
    });
    // The fan-out's role may write to that queue (Lambda sends the record with it).
    const policies = ci
      .all('aws:iam/rolePolicy:RolePolicy')
      .concat(ci.all('aws:iam/role:Role'))
      .filter((r) => r.name.startsWith('JobsTableSubscriberPushFanout'))
      .map((r) => JSON.stringify(r.inputs));
    expect(policies.join('\n')).toMatch(new RegExp(`sqs:SendMessage.*${queueArn}`));
  });

  test('one socket function serves every route; both functions get the push variables', () => {
    const routes = ci.all('aws:apigatewayv2/route:Route').filter((r) => r.name.startsWith('PushRoute'));
    expect(routes.map((r) => (r.inputs as Inputs).routeKey).sort()).toEqual(
      ['$connect', '$default', '$disconnect', 'subscribe', 'unsubscribe'].sort(),
    );
    const fns = ci
      .all('aws:lambda/function:Function')
      .filter((r) => /^(PushSocket|JobsTableSubscriberPushFanout)/.test(r.name));
    expect(fns).toHaveLength(2);
    for (const fn of fns) {
      expect(Object.keys((fn.inputs as Inputs).environment.variables)).toEqual(
        expect.arrayContaining(['FERRY_CONNECTIONS_TABLE', 'FERRY_PUSH_MANAGEMENT_URL', 'FERRY_TABLE']),
      );
    }
  });
});
