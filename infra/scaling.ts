/**
 * @module infra/scaling
 * Backlog scaling of the worker service, from and to zero: an Application Auto Scaling target
 * (0..maxWorkers), a step policy on the jobs backlog and a scale-to-zero policy after an idle
 * period, each driven by a CloudWatch metric-math alarm. The reasoning is in scaling-plan.ts;
 * the capacity provider then adds or removes instances to fit the tasks.
 */
import type { GpuFleet } from './gpu-fleet.ts';
import type { ScalingOptions } from './options.ts';
import type { Queues } from './queues.ts';
import {
  type BacklogAlarm,
  backlogMetricQueries,
  type StepAdjustment,
  scalingPlan,
  toPulumiStep,
} from './scaling-plan.ts';

export interface Scaling {
  target: aws.appautoscaling.Target;
  scaleOnBacklog: aws.appautoscaling.Policy;
  scaleToZero: aws.appautoscaling.Policy;
  backlogAlarm: aws.cloudwatch.MetricAlarm;
  idleAlarm: aws.cloudwatch.MetricAlarm;
}

export interface ScalingInput {
  fleet: GpuFleet;
  queues: Queues;
  maxWorkers: number;
  options: ScalingOptions;
}

export function createScaling({ fleet, queues, maxWorkers, options }: ScalingInput): Scaling {
  const plan = scalingPlan({ ...options, maxWorkers });

  const target = new aws.appautoscaling.Target('WorkerScalingTarget', {
    serviceNamespace: 'ecs',
    scalableDimension: 'ecs:service:DesiredCount',
    resourceId: $interpolate`service/${fleet.cluster.name}/${fleet.service.name}`,
    minCapacity: plan.minCapacity,
    maxCapacity: plan.maxCapacity,
  });

  const stepPolicy = (name: string, steps: StepAdjustment[]) =>
    new aws.appautoscaling.Policy(name, {
      policyType: 'StepScaling',
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
      serviceNamespace: target.serviceNamespace,
      stepScalingPolicyConfiguration: {
        adjustmentType: 'ExactCapacity',
        cooldown: plan.cooldownSec,
        metricAggregationType: 'Maximum',
        stepAdjustments: steps.map(toPulumiStep),
      },
    });
  const scaleOnBacklog = stepPolicy('WorkerScaleOnBacklog', plan.scaleOut.steps);
  const scaleToZero = stepPolicy('WorkerScaleToZero', plan.scaleIn.steps);

  const queueName = queues.jobs.nodes.queue.name;
  const backlogAlarm = (
    name: string,
    suffix: string,
    alarm: BacklogAlarm,
    description: string,
    policy: aws.appautoscaling.Policy,
  ) =>
    new aws.cloudwatch.MetricAlarm(name, {
      name: `${$app.name}-${$app.stage}-scaling-${suffix}`,
      alarmDescription: description,
      ...alarm,
      metricQueries: backlogMetricQueries(queueName),
      alarmActions: [policy.arn],
    });

  return {
    target,
    scaleOnBacklog,
    scaleToZero,
    backlogAlarm: backlogAlarm(
      'WorkerBacklogAlarm',
      'backlog',
      plan.scaleOut.alarm,
      `Ferry: jobs waiting or running; sets GPU workers to ceil(backlog / ${options.targetBacklogPerWorker}), at most ${maxWorkers}`,
      scaleOnBacklog,
    ),
    idleAlarm: backlogAlarm(
      'WorkerIdleAlarm',
      'idle',
      plan.scaleIn.alarm,
      `Ferry: jobs queue empty for ${options.scaleInIdleMinutes} min; scales GPU workers to zero`,
      scaleToZero,
    ),
  };
}
