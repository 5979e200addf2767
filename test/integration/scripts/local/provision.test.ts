/**
 * Local provisioning (scripts/local/provision.ts, read back from the emulator) and the AWS stack
 * (sst.config.ts synthesised under Pulumi mocks) use the same values for what both have: queue
 * timings and receive counts, Lambda runtime and limits, the webhook event batch size and the
 * bucket's CORS.
 */
import { randomBytes } from 'node:crypto';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import { GetBucketCorsCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, test } from 'vitest';
import { type AwsClients, createAwsClients } from '../../../../core/aws.ts';
import { type LocalOutputs, provision, suffixedNames } from '../../../../scripts/local/provision.ts';
import { type Synth, synthesize } from '../../../support/infra/synth.ts';
import { stackEnv } from '../../../support/local-stack.ts';

// biome-ignore lint/suspicious/noExplicitAny: synthesised inputs are JSON that the test walks by path.
type Inputs = Record<string, any>;

let aws: Synth;
let local: LocalOutputs;
let clients: AwsClients;
let lambda: LambdaClient;
const names = suffixedNames(randomBytes(4).toString('hex'));

beforeAll(async () => {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL is unset: run tests through vitest');
  const [synth, outputs] = await Promise.all([
    synthesize('ci'),
    provision({ endpoint, names, withWebhookFunction: true }),
  ]);
  [aws, local] = [synth, outputs];
  clients = createAwsClients({ ...process.env, ...stackEnv(local) });
  lambda = new LambdaClient({
    endpoint,
    region: local.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}, 240_000);

async function queueAttributes(url: string) {
  const out = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
  );
  const a = out.Attributes ?? {};
  return {
    visibilityTimeoutSeconds: Number(a.VisibilityTimeout),
    messageRetentionSeconds: Number(a.MessageRetentionPeriod),
    maxReceiveCount: a.RedrivePolicy ? Number(JSON.parse(a.RedrivePolicy).maxReceiveCount) : undefined,
  };
}

function synthQueue(name: string) {
  const q = aws.inputs<Inputs>('aws:sqs/queue:Queue', name);
  return {
    visibilityTimeoutSeconds: q.visibilityTimeoutSeconds ?? 30,
    messageRetentionSeconds: q.messageRetentionSeconds,
    maxReceiveCount: q.redrivePolicy ? Number(JSON.parse(q.redrivePolicy).maxReceiveCount) : undefined,
  };
}

describe('local provisioning matches the AWS stack', () => {
  test('the same number of queues, each with the same visibility, retention and receive count', async () => {
    const pairs: Array<[string, string]> = [
      [local.queueUrl, 'JobsQueueQueue'],
      [local.dlqUrl, 'JobsDeadLetterQueueQueue'],
      [local.webhookQueueUrl, 'WebhooksQueueQueue'],
      [local.webhookDlqUrl, 'WebhooksDeadLetterQueueQueue'],
    ];
    for (const [url, name] of pairs)
      expect({ name, ...(await queueAttributes(url)) }).toEqual({ name, ...synthQueue(name) });
    // AWS has two more: the ingest function's on-failure destination, and the push fan-out's
    // (provisioned locally with the push channel: provision-push.test.ts).
    expect(
      aws
        .all('aws:sqs/queue:Queue')
        .map((q) => q.name)
        .sort(),
    ).toEqual(
      [...pairs.map(([, name]) => name), 'IngestFailuresQueueQueue', 'PushFanoutFailuresQueueQueue'].sort(),
    );
  });

  test('the functions run on the same runtime with the same timeout and memory', async () => {
    for (const [localName, synthName] of [
      [names.ingestFunction, 'IngestFunction'],
      [names.webhookFunction, 'WebhookDeliveryFunction'],
    ] as const) {
      const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: localName }));
      const f = aws.inputs<Inputs>('aws:lambda/function:Function', synthName);
      expect({ fn: synthName, runtime: c.Runtime, timeout: c.Timeout, memory: c.MemorySize }).toEqual({
        fn: synthName,
        runtime: f.runtime,
        timeout: f.timeout,
        memory: f.memorySize,
      });
    }
  });

  test('the webhook function gets the same event batch size', async () => {
    const out = await lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: names.webhookFunction }),
    );
    expect(out.EventSourceMappings?.map((m) => m.BatchSize)).toEqual([
      // The webhooks queue's mapping (SST hashes its name; the other one is the push fan-out's).
      aws
        .all('aws:lambda/eventSourceMapping:EventSourceMapping')
        .filter((r) => r.name.startsWith('WebhooksQueueSubscriber'))
        .map((r) => (r.inputs as Inputs).batchSize)[0],
    ]);
  });

  test('the bucket has the same CORS rule', async () => {
    const out = await clients.s3.send(new GetBucketCorsCommand({ Bucket: local.bucket }));
    const [rule] = aws.inputs<Inputs>(
      'aws:s3/bucketCorsConfiguration:BucketCorsConfiguration',
      'BucketCors',
    ).corsRules;
    const sorted = (xs: readonly string[] | undefined) => [...(xs ?? [])].sort();
    expect(
      out.CORSRules?.map((r) => ({
        methods: sorted(r.AllowedMethods),
        origins: sorted(r.AllowedOrigins),
        headers: sorted(r.AllowedHeaders),
        expose: sorted(r.ExposeHeaders),
        maxAge: r.MaxAgeSeconds,
      })),
    ).toEqual([
      {
        methods: sorted(rule.allowedMethods),
        origins: sorted(rule.allowedOrigins),
        headers: sorted(rule.allowedHeaders),
        expose: sorted(rule.exposeHeaders),
        maxAge: rule.maxAgeSeconds,
      },
    ]);
  });
});
