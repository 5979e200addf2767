/**
 * @module functions/reconciler/handler
 * Scheduled Lambda adapter (EventBridge, every RECONCILE.everySec) for core/reconcile.ts: brings
 * stranded jobs to a final state even while the GPU fleet is scaled to zero, when no worker
 * runs its own sweep (a job with no message makes no backlog, so nothing would start one).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createAwsClients } from '../../core/aws.ts';
import { JobStore } from '../../core/job-store.ts';
import { type ReconcileDeps, type ReconcileReport, reconcile } from '../../core/reconcile.ts';
import { resourcesFromEnv } from '../../core/resources.ts';
import { enqueueWebhook } from '../../core/webhooks.ts';

const logger = new Logger({ serviceName: 'ferry-reconciler' });

let deps: ReconcileDeps | undefined;
function getDeps(): ReconcileDeps {
  if (!deps) {
    const resources = resourcesFromEnv();
    const aws = createAwsClients();
    const webhookQueueUrl = resources.webhookQueueUrl;
    deps = {
      sqs: aws.sqs,
      queueUrl: resources.queueUrl,
      jobs: new JobStore({ dynamo: aws.dynamo, table: resources.table }),
      onFailed: async (job) => {
        if (job.webhookUrl && webhookQueueUrl)
          await enqueueWebhook({ sqs: aws.sqs, queueUrl: webhookQueueUrl }, job);
      },
    };
  }
  return deps;
}

export async function handler(): Promise<ReconcileReport> {
  const report = await reconcile(getDeps());
  const handled = report.expired.length + report.sent.length + report.resent.length;
  if (handled > 0) logger.warn('stranded jobs handled', { ...report });
  else logger.info('nothing stranded');
  return report;
}
