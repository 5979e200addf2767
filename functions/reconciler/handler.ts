/**
 * @module functions/reconciler/handler
 * Scheduled Lambda adapter (EventBridge, every RECONCILE.everySec) for core/reconcile.ts: brings
 * stranded jobs to a final state even while the GPU fleet is scaled to zero, when no worker
 * runs its own sweep (a job with no message makes no backlog, so nothing would start one). Each
 * run also recovers lost uploads (core/ingest/recovery.ts) and publishes what it found as
 * CloudWatch metrics (Embedded Metric Format in its log; infra/alarms.ts alarms on them).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createAwsClients } from '../../core/aws.ts';
import { METRICS_NAMESPACE, RECOVERY_METRICS } from '../../core/config.ts';
import { type IngestRecoveryDeps, ingestRecoveryDeps, recoverIngest } from '../../core/ingest/recovery.ts';
import { JobStore } from '../../core/job-store.ts';
import { type ReconcileDeps, type ReconcileReport, reconcile } from '../../core/reconcile.ts';
import { resourcesFromEnv } from '../../core/resources.ts';
import { enqueueWebhook } from '../../core/webhooks.ts';
import { functionLog } from '../log.ts';

const log = functionLog('reconciler');
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: RECOVERY_METRICS.service });

interface Deps {
  reconcile: ReconcileDeps;
  ingestRecovery: IngestRecoveryDeps | undefined;
}

let deps: Deps | undefined;
function getDeps(): Deps {
  if (!deps) {
    const resources = resourcesFromEnv();
    const aws = createAwsClients();
    const webhookQueueUrl = resources.webhookQueueUrl;
    deps = {
      reconcile: {
        sqs: aws.sqs,
        queueUrl: resources.queueUrl,
        jobs: new JobStore({ dynamo: aws.dynamo, table: resources.table }),
        onFailed: async (job) => {
          if (job.webhookUrl && webhookQueueUrl)
            await enqueueWebhook({ sqs: aws.sqs, queueUrl: webhookQueueUrl }, job);
        },
      },
      ingestRecovery: ingestRecoveryDeps(aws, resources),
    };
  }
  return deps;
}

export async function handler(): Promise<ReconcileReport> {
  const d = getDeps();
  try {
    // Both run even when the other fails; the invocation fails (and alarms) if either did.
    const [stranded, recovered] = await Promise.allSettled([
      reconcile(d.reconcile),
      d.ingestRecovery ? recoverIngest(d.ingestRecovery, log) : undefined,
    ]);
    if (recovered.status === 'fulfilled' && recovered.value) {
      const { replay, sweep } = recovered.value;
      metrics.addMetric(RECOVERY_METRICS.replayed, MetricUnit.Count, replay.replayed);
      metrics.addMetric(RECOVERY_METRICS.replayFailures, MetricUnit.Count, replay.failed + replay.unreadable);
      if (sweep) metrics.addMetric(RECOVERY_METRICS.orphans, MetricUnit.Count, sweep.orphans);
      if (replay.replayed + replay.failed + replay.unreadable + (sweep?.orphans ?? 0) > 0)
        log.warn('lost uploads handled', { ...recovered.value });
    }
    if (recovered.status === 'rejected') throw recovered.reason;
    if (stranded.status === 'rejected') throw stranded.reason;
    const report = stranded.value;
    const handled = report.expired.length + report.sent.length + report.resent.length;
    if (handled > 0) log.warn('stranded jobs handled', { ...report });
    else log.info('nothing stranded');
    return report;
  } finally {
    metrics.publishStoredMetrics();
  }
}
