/**
 * @module functions/webhook/handler
 * Lambda adapter for the webhooks queue (SQS event source with ReportBatchItemFailures): each
 * message is one delivery attempt (see deliver.ts). Messages are independent and run
 * concurrently. A failed HTTP attempt is not a batch failure (its retry is a new, delayed
 * message); only errors that lost the attempt's bookkeeping (DynamoDB, SQS) are reported, so
 * SQS delivers that message again after its visibility timeout.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createAwsClients } from '../../core/aws.ts';
import { ConfigError } from '../../core/errors.ts';
import { JobStore } from '../../core/job-store.ts';
import { resourcesFromEnv } from '../../core/resources.ts';
import { SecretStore } from '../../core/secrets.ts';
import { parseWebhookMessage } from '../../core/webhooks.ts';
import { functionLog } from '../log.ts';
import { type DeliverDeps, deliverWebhook } from './deliver.ts';
import { webhookOptionsFromEnv } from './options.ts';

let deps: DeliverDeps | undefined;

/** Builds the dependencies from the environment once per cold start; throws ConfigError if any is wrong. */
function getDeps(): DeliverDeps {
  if (!deps) {
    const resources = resourcesFromEnv();
    if (!resources.webhookQueueUrl)
      throw new ConfigError('Invalid configuration:\n  FERRY_WEBHOOK_QUEUE_URL: is required');
    const options = webhookOptionsFromEnv();
    const aws = createAwsClients();
    deps = {
      jobs: new JobStore({ dynamo: aws.dynamo, table: resources.table }),
      queue: { sqs: aws.sqs, queueUrl: resources.webhookQueueUrl },
      options,
      secrets: new SecretStore({ prefix: options.parameterPrefix }),
      logger: functionLog('webhook'),
    };
  }
  return deps;
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return handleWebhookBatch(getDeps(), event);
}

/** The batch logic, with dependencies passed in (tests drive it over a real queue). */
export async function handleWebhookBatch(d: DeliverDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const results = await Promise.allSettled(event.Records.map((record) => handleRecord(d, record)));
  const batchItemFailures = results.flatMap((result, i) => {
    const record = event.Records[i] as SQSRecord;
    if (result.status === 'fulfilled') return [];
    d.logger.error('webhook message failed; SQS will deliver it again', {
      messageId: record.messageId,
      error: result.reason,
    });
    return [{ itemIdentifier: record.messageId }];
  });
  return { batchItemFailures };
}

async function handleRecord(d: DeliverDeps, record: SQSRecord): Promise<void> {
  const message = parseWebhookMessage(record.body);
  if (!message) {
    // Retrying cannot fix a malformed message; drop it rather than loop until the DLQ.
    d.logger.warn('ignoring a message that is not a webhook message', { messageId: record.messageId });
    return;
  }
  const result = await deliverWebhook(d, message);
  const context = { messageId: record.messageId, jobId: message.jobId, ...result };
  if (result.outcome === 'delivered' || result.outcome === 'skipped')
    d.logger.info(`webhook ${result.outcome}`, context);
  else d.logger.warn(`webhook ${result.outcome}`, context);
}
