/**
 * The push fan-out's stream mapping as local provisioning creates it in the emulator
 * (scripts/local/provision-push.ts, read back) and as the AWS stack declares it (synthesised
 * under Pulumi mocks): the same batch size, partial batch responses, bisect, retry and age
 * limits, parallelisation, and an on-failure queue. (Which of these MiniStack honours:
 * docs/platform-notes.md.)
 */
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, test } from 'vitest';
import { awsClient } from '../../../../core/aws.ts';
import {
  type PushOutputs,
  provisionPush,
  suffixedPushNames,
} from '../../../../scripts/local/provision-push.ts';
import { type Synth, synthesize } from '../../../support/infra/synth.ts';
import { createTestStack, type TestStack } from '../../../support/local-stack.ts';

// biome-ignore lint/suspicious/noExplicitAny: synthesised inputs are JSON that the test walks by path.
type Inputs = Record<string, any>;

let aws: Synth;
let stack: TestStack;
let push: PushOutputs;
let names: ReturnType<typeof suffixedPushNames>;

beforeAll(async () => {
  [aws, stack] = await Promise.all([synthesize('ci'), createTestStack()]);
  names = suffixedPushNames(stack.outputs.table.split('-').pop() ?? 'push');
  push = await provisionPush(stack.outputs, names);
});

describe('the fan-out stream mapping, locally and on AWS', () => {
  test('has the same settings and an on-failure queue', async () => {
    const lambda = awsClient(LambdaClient, {
      endpoint: stack.outputs.endpoint,
      region: stack.outputs.region,
    });
    const out = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: names.fanoutFunction }));
    const [local] = out.EventSourceMappings ?? [];
    const declared = aws
      .all('aws:lambda/eventSourceMapping:EventSourceMapping')
      .find((r) => r.name.startsWith('JobsTableSubscriber'))?.inputs as Inputs;
    const { Attributes } = await stack.aws.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: push.fanoutFailuresQueueUrl, AttributeNames: ['QueueArn'] }),
    );
    expect(local).toMatchObject({
      BatchSize: declared.batchSize,
      StartingPosition: declared.startingPosition,
      FunctionResponseTypes: declared.functionResponseTypes,
      BisectBatchOnFunctionError: declared.bisectBatchOnFunctionError,
      MaximumRetryAttempts: declared.maximumRetryAttempts,
      MaximumRecordAgeInSeconds: declared.maximumRecordAgeInSeconds,
      ParallelizationFactor: declared.parallelizationFactor,
      DestinationConfig: { OnFailure: { Destination: Attributes?.QueueArn } },
    });
    expect(declared.destinationConfig.onFailure.destinationArn).toMatch(/^arn:aws:sqs:/);
  });
});
