/**
 * @module infra/alarms
 * Operational alarms, sent to one SNS topic: messages in any dead-letter queue (jobs, webhooks,
 * failed ingest events, jobs-stream batches the push fan-out gave up on), uploads found without a job, and jobs waiting too long. The scaling alarms live in infra/scaling.ts.
 */
import { METRICS_NAMESPACE, RECOVERY_METRICS } from '../core/config.ts';
import type { Ingest } from './ingest.ts';
import type { AlarmOptions } from './options.ts';
import type { Push } from './push.ts';
import type { Queues } from './queues.ts';
import { queueDepthQueries } from './scaling-plan.ts';

/** Period of the dead-letter alarms, in seconds. */
const DEAD_LETTER_PERIOD_SEC = 300;

export interface Alarms {
  topic: aws.sns.Topic;
  alarms: aws.cloudwatch.MetricAlarm[];
}

export interface AlarmsInput {
  queues: Queues;
  ingest: Ingest;
  push: Push;
  options: AlarmOptions;
}

export function createAlarms({ queues, ingest, push, options }: AlarmsInput): Alarms {
  // Named "<app>-<stage>-..." so `aws cloudwatch describe-alarms --alarm-name-prefix` finds a stage's.
  const prefix = `${$app.name}-${$app.stage}`;
  const topic = new aws.sns.Topic('AlarmTopic', {
    name: `${prefix}-alarms`,
    displayName: `Ferry ${$app.stage} alarms`,
  });
  if (options.email) {
    new aws.sns.TopicSubscription('AlarmEmail', {
      topic: topic.arn,
      protocol: 'email',
      endpoint: options.email,
    });
  }
  const notify = { alarmActions: [topic.arn], okActions: [topic.arn] };

  /**
   * Any message at all in a dead-letter queue is an incident: something failed for good. Counted
   * visible + hidden, since the worker's dead-letter sweep hides the letters it has handled.
   */
  const deadLetters = (name: string, alarmName: string, queue: sst.aws.Queue, what: string) =>
    new aws.cloudwatch.MetricAlarm(name, {
      name: `${prefix}-${alarmName}`,
      alarmDescription: `Ferry: ${what}. Inspect and redrive: see docs/deploy.md`,
      metricQueries: queueDepthQueries(
        queue.nodes.queue.name,
        'Messages in the dead-letter queue',
        DEAD_LETTER_PERIOD_SEC,
      ),
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      ...notify,
    });

  const alarms = [
    deadLetters(
      'JobsDeadLetterAlarm',
      'jobs-dead-letters',
      queues.jobsDeadLetter,
      'jobs failed on every delivery and sit in the jobs DLQ',
    ),
    deadLetters(
      'WebhooksDeadLetterAlarm',
      'webhook-dead-letters',
      queues.webhooksDeadLetter,
      'webhook deliveries crashed repeatedly',
    ),
    deadLetters(
      'IngestFailuresAlarm',
      'ingest-failures',
      ingest.failures,
      'S3 upload events the ingest function could not process',
    ),
    deadLetters(
      'PushFanoutFailuresAlarm',
      'push-fanout-failures',
      push.fanoutFailures,
      'jobs-stream batches the push fan-out gave up on (watchers missed events)',
    ),
    // Each orphan is an upload whose S3 event never reached ingest: the sweep saved it, but
    // events going missing is worth a look (a notification changed, a filter, an outage).
    new aws.cloudwatch.MetricAlarm('OrphanedUploadsAlarm', {
      name: `${prefix}-orphaned-uploads`,
      alarmDescription:
        'Ferry: the upload sweep found uploads whose S3 event never reached ingest, and ingested them. Check the bucket notification: see docs/deploy.md',
      namespace: METRICS_NAMESPACE,
      metricName: RECOVERY_METRICS.orphans,
      dimensions: { service: RECOVERY_METRICS.service },
      statistic: 'Sum',
      period: DEAD_LETTER_PERIOD_SEC,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      ...notify,
    }),
    new aws.cloudwatch.MetricAlarm('JobsOldestMessageAlarm', {
      name: `${prefix}-jobs-waiting-too-long`,
      alarmDescription: `Ferry: a job has waited over ${options.oldestJobAgeSec} s; workers are not keeping up or not starting`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: queues.jobs.nodes.queue.name },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: options.oldestJobAgeSec,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      ...notify,
    }),
  ];
  return { topic, alarms };
}
