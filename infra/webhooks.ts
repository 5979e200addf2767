/**
 * @module infra/webhooks
 * The webhook delivery function, subscribed to the webhooks queue with partial batch
 * responses; it re-enqueues failed attempts with a delay (exponential backoff).
 */
import { FUNCTIONS } from '../core/config.ts';
import { functionArgs, resourceEnvironment } from './functions.ts';
import { scoped, webhookStatements } from './iam.ts';
import { type FunctionsOptions, handlerOf, type WebhookOptions } from './options.ts';
import type { Queues } from './queues.ts';
import type { Secrets } from './secrets.ts';
import type { Storage } from './storage.ts';

export interface Webhooks {
  function: sst.aws.Function;
}

export interface WebhooksInput {
  storage: Storage;
  queues: Queues;
  secrets: Secrets;
  functions: FunctionsOptions;
  options: WebhookOptions;
}

export function createWebhooks({ storage, queues, secrets, functions, options }: WebhooksInput): Webhooks {
  const fn = new sst.aws.Function(
    'WebhookDelivery',
    functionArgs(functions, {
      description: 'Ferry: deliver signed webhooks from the webhooks queue',
      handler: handlerOf(FUNCTIONS.webhook.entry),
      timeout: `${options.timeoutSec} seconds`,
      memory: `${options.memoryMb} MB`,
      environment: {
        ...resourceEnvironment(storage, queues, {
          webhookQueueUrl: queues.webhooks.url,
          parameterPrefix: secrets.prefix,
        }),
      },
      permissions: $resolve({
        tableArn: storage.table.arn,
        webhooksQueueArn: queues.webhooks.arn,
        webhookSecretsArn: secrets.webhookSecretsArn,
      }).apply((arns) => scoped('WebhookDelivery', webhookStatements(arns))),
    }),
  );

  // Subscribing by ARN: the function above already holds the consumer permissions.
  queues.webhooks.subscribe(fn.arn, { batch: { size: options.batchSize, partialResponses: true } });

  return { function: fn };
}
