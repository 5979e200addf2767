/**
 * @module infra/scaling
 * Scaling of the worker service, fast to start and slow to stop: an Application Auto Scaling
 * target (0..maxWorkers), a step policy that starts workers from zero on one waiting message, a
 * target-tracking policy on backlog per worker (scale-out only), a slower step scale-in and a
 * scale-to-zero after an idle period. The reasoning is in scaling-plan.ts; the capacity provider
 * then adds or removes instances to fit the tasks.
 */
import type { GpuFleet } from './gpu-fleet.ts';
import type { ScalingOptions } from './options.ts';
import type { Queues } from './queues.ts';
import {
  backlogMetricQueries,
  backlogPerWorkerQueries,
  type MetricQuery,
  type PlanAlarm,
  type ScalingSubjects,
  type StepPolicyPlan,
  scaleInQueries,
  scalingPlan,
  startFromZeroQueries,
  toPulumiStep,
} from './scaling-plan.ts';

export interface Scaling {
  target: aws.appautoscaling.Target;
  startFromZero: aws.appautoscaling.Policy;
  trackBacklog: aws.appautoscaling.Policy;
  scaleIn: aws.appautoscaling.Policy;
  scaleToZero: aws.appautoscaling.Policy;
  startAlarm: aws.cloudwatch.MetricAlarm;
  scaleInAlarm: aws.cloudwatch.MetricAlarm;
  idleAlarm: aws.cloudwatch.MetricAlarm;
}

export interface ScalingInput {
  fleet: GpuFleet;
  queues: Queues;
  maxWorkers: number;
  options: ScalingOptions;
}

/** A metric-math query in the shape target tracking wants (dimensions as a name/value list). */
function toTargetTrackingMetric(q: MetricQuery<$util.Output<string>>) {
  return {
    id: q.id,
    returnData: q.returnData,
    ...(q.label ? { label: q.label } : {}),
    ...(q.expression ? { expression: q.expression } : {}),
    ...(q.metric
      ? {
          metricStat: {
            stat: q.metric.stat,
            metric: {
              namespace: q.metric.namespace,
              metricName: q.metric.metricName,
              dimensions: Object.entries(q.metric.dimensions).map(([name, value]) => ({ name, value })),
            },
          },
        }
      : {}),
  };
}

export function createScaling({ fleet, queues, maxWorkers, options }: ScalingInput): Scaling {
  const plan = scalingPlan({ ...options, maxWorkers });
  const subjects: ScalingSubjects<$util.Output<string>> = {
    queueName: queues.jobs.nodes.queue.name,
    clusterName: fleet.cluster.name,
    serviceName: fleet.service.name,
    autoScalingGroupName: fleet.autoScalingGroup.name,
  };

  const target = new aws.appautoscaling.Target('WorkerScalingTarget', {
    serviceNamespace: 'ecs',
    scalableDimension: 'ecs:service:DesiredCount',
    resourceId: $interpolate`service/${fleet.cluster.name}/${fleet.service.name}`,
    minCapacity: plan.minCapacity,
    maxCapacity: plan.maxCapacity,
  });
  const on = {
    resourceId: target.resourceId,
    scalableDimension: target.scalableDimension,
    serviceNamespace: target.serviceNamespace,
  };

  const stepPolicy = (name: string, p: StepPolicyPlan) =>
    new aws.appautoscaling.Policy(name, {
      ...on,
      policyType: 'StepScaling',
      stepScalingPolicyConfiguration: {
        adjustmentType: 'ExactCapacity',
        cooldown: p.cooldownSec,
        metricAggregationType: 'Maximum',
        stepAdjustments: p.steps.map(toPulumiStep),
      },
    });
  const alarm = (
    name: string,
    suffix: string,
    settings: PlanAlarm,
    queries: MetricQuery<$util.Output<string>>[],
    description: string,
    policy: aws.appautoscaling.Policy,
  ) =>
    new aws.cloudwatch.MetricAlarm(name, {
      name: `${$app.name}-${$app.stage}-scaling-${suffix}`,
      alarmDescription: description,
      ...settings,
      metricQueries: queries,
      alarmActions: [policy.arn],
    });

  const startFromZero = stepPolicy('WorkerStartFromZero', plan.startFromZero);
  const trackBacklog = new aws.appautoscaling.Policy('WorkerTrackBacklog', {
    ...on,
    policyType: 'TargetTrackingScaling',
    targetTrackingScalingPolicyConfiguration: {
      targetValue: plan.trackBacklog.targetValue,
      disableScaleIn: plan.trackBacklog.disableScaleIn,
      scaleOutCooldown: plan.trackBacklog.scaleOutCooldownSec,
      customizedMetricSpecification: {
        metrics: backlogPerWorkerQueries(subjects).map(toTargetTrackingMetric),
      },
    },
  });
  const scaleIn = stepPolicy('WorkerScaleIn', plan.scaleIn);
  const scaleToZero = stepPolicy('WorkerScaleToZero', plan.scaleToZero);
  const t = plan.targetBacklogPerWorker;

  return {
    target,
    startFromZero,
    trackBacklog,
    scaleIn,
    scaleToZero,
    startAlarm: alarm(
      'WorkerStartAlarm',
      'start',
      plan.startFromZero.alarm,
      startFromZeroQueries(subjects),
      `Ferry: jobs waiting and no GPU worker running; starts ceil(waiting / ${t}) workers, at most ${maxWorkers}`,
      startFromZero,
    ),
    scaleInAlarm: alarm(
      'WorkerScaleInAlarm',
      'scale-in',
      plan.scaleIn.alarm,
      scaleInQueries(subjects, t),
      `Ferry: more GPU workers than max(1, ceil(backlog / ${t})) for ${options.scaleInMinutes} min; scales in to that`,
      scaleIn,
    ),
    idleAlarm: alarm(
      'WorkerIdleAlarm',
      'idle',
      plan.scaleToZero.alarm,
      backlogMetricQueries(subjects.queueName),
      `Ferry: jobs queue empty for ${options.scaleInIdleMinutes} min; scales GPU workers to zero`,
      scaleToZero,
    ),
  };
}
