/**
 * @module infra/scaling-plan
 * The arithmetic of worker scaling, as plain data: four policies (fast start from zero, target
 * tracking while workers run, slow scale-in, idle to zero), their alarms and the CloudWatch metric
 * math. infra/scaling.ts turns the plan into resources; tests check the plan.
 *
 * Fast to start, slow to stop:
 * - Start from zero (step scaling, one 1-minute datapoint): while the service runs no task, one
 *   visible message sets the exact capacity ceil(visible / target) (1 for any burst under the
 *   target). "No task" is the absence of the service's AWS/ECS CPUUtilization metric, which ECS
 *   publishes only while the service has RUNNING tasks (free, no Container Insights), so this
 *   policy can never lower a running fleet.
 * - Track backlog per worker (target tracking, scale-out only): backlog / in-service instances
 *   towards targetBacklogPerWorker. One task per instance (one GPU each), so instances count the
 *   workers; a starting instance counts too, which damps overshoot while it boots. Target tracking
 *   does not act at zero (0 x anything = 0): that is the first policy's job.
 * - Scale in (step scaling, `scaleInMinutes` consecutive datapoints): while more instances run than
 *   the backlog needs, set the exact capacity needed = max(1, ceil(backlog / target)). It never
 *   goes below one while anything is queued or running, and waits far longer than scale-out.
 * - Idle to zero (step scaling): backlog == 0 for `scaleInIdleMinutes` -> capacity 0. In-flight
 *   messages count as backlog, so a worker holding a job is never scaled away; the worker's task
 *   scale-in protection covers the rest.
 *
 * The target comes from measured throughput and an acceptable wait (targetBacklogPerWorker()).
 */

/** SQS, ECS and Auto Scaling group metrics arrive once a minute. */
export const METRIC_PERIOD_SEC = 60;

/** Step adjustments per policy: the Auto Scaling limit is 20. */
export const MAX_STEP_ADJUSTMENTS = 20;

/**
 * Minutes ECS managed scaling waits before it removes an instance that no longer runs a task: its
 * scale-in alarm needs 15 consecutive one-minute datapoints below target (an AWS constant, not an
 * option). Part of the idle tail (idleTailMinutes()).
 */
export const CAPACITY_PROVIDER_SCALE_IN_MINUTES = 15;

/**
 * Messages (waiting + in flight) one worker should be left with: what it clears within the
 * acceptable wait at its measured throughput, floor(throughput x wait), at least 1. Adding a
 * worker sooner does not cut the wait: a new one needs a cold start to arrive. The throughput is
 * the worker's end-to-end rate, bookkeeping included: in the fleet simulation (bench/README.md,
 * 50 simulated workers on one queue) a 1 s task cleared 0.79-0.87 jobs/s per worker, not 1.
 * Example: 4.28 images/s (README, Performance: the CPU pipeline on 2 cores, a floor for a GPU
 * worker) x 300 s = 1284.
 */
export function targetBacklogPerWorker(throughputPerSec: number, acceptableWaitSec: number): number {
  return Math.max(1, Math.floor(throughputPerSec * acceptableWaitSec));
}

/** One step: when metric - threshold is in [lowerBound, upperBound), set capacity. */
export interface StepAdjustment {
  /** Inclusive lower bound of (metric - threshold); undefined is minus infinity. */
  lowerBound: number | undefined;
  /** Exclusive upper bound of (metric - threshold) (inclusive below the threshold); undefined is infinity. */
  upperBound: number | undefined;
  /** Exact desired task count for this step. */
  capacity: number;
}

/** The settings of one CloudWatch alarm over a metric-math expression. */
export interface PlanAlarm {
  threshold: number;
  comparisonOperator: 'GreaterThanOrEqualToThreshold' | 'LessThanOrEqualToThreshold';
  evaluationPeriods: number;
  datapointsToAlarm: number;
  /** Inactive queues stop publishing metrics: missing data means "nothing happening". */
  treatMissingData: 'notBreaching' | 'breaching';
}

/** A step policy (adjustment type ExactCapacity) with the alarm that drives it. */
export interface StepPolicyPlan {
  alarm: PlanAlarm;
  steps: StepAdjustment[];
  cooldownSec: number;
}

export interface ScalingPlan {
  minCapacity: 0;
  maxCapacity: number;
  /** Messages per worker the fleet aims at (derived, see targetBacklogPerWorker()). */
  targetBacklogPerWorker: number;
  /** No task running and visible >= 1 -> ceil(visible / target) workers. */
  startFromZero: StepPolicyPlan;
  /** backlog / instances -> target, scale-out only. */
  trackBacklog: { targetValue: number; scaleOutCooldownSec: number; disableScaleIn: true };
  /** More instances than needed for scaleInMinutes -> exactly the needed count (>= 1). */
  scaleIn: StepPolicyPlan;
  /** Backlog == 0 for scaleInIdleMinutes -> 0. */
  scaleToZero: StepPolicyPlan;
}

/**
 * Worker counts the steps may set: every count from 1 to maxWorkers when that fits in
 * maxSteps, else maxSteps counts spread evenly from 1 to maxWorkers.
 */
export function capacityLevels(maxWorkers: number, maxSteps = MAX_STEP_ADJUSTMENTS): number[] {
  if (maxWorkers <= maxSteps) return Array.from({ length: maxWorkers }, (_, i) => i + 1);
  return Array.from({ length: maxSteps }, (_, i) => Math.round(1 + (i * (maxWorkers - 1)) / (maxSteps - 1)));
}

/**
 * Steps for an alarm with threshold 1 (>=): with metric value b, metric - threshold = b - 1, and
 * level c_i applies while b - 1 is in [c_(i-1) * per, c_i * per), i.e. for
 * c_(i-1) * per < b <= c_i * per. With one level per count this is ceil(b / per).
 */
export function backlogSteps(
  per: number,
  maxWorkers: number,
  maxSteps = MAX_STEP_ADJUSTMENTS,
): StepAdjustment[] {
  const levels = capacityLevels(maxWorkers, maxSteps);
  return levels.map((capacity, i) => ({
    lowerBound: (levels[i - 1] ?? 0) * per,
    upperBound: i === levels.length - 1 ? undefined : capacity * per,
    capacity,
  }));
}

/** Desired workers for a metric value under the steps (what Application Auto Scaling will do). */
export function capacityForBacklog(steps: StepAdjustment[], backlog: number, threshold = 1): number {
  if (backlog < threshold) return 0;
  const delta = backlog - threshold;
  const step = steps.find(
    (s) =>
      (s.lowerBound === undefined || delta >= s.lowerBound) &&
      (s.upperBound === undefined || delta < s.upperBound),
  );
  if (!step) throw new Error(`no step covers backlog ${backlog}`);
  return step.capacity;
}

export interface ScalingPlanInput {
  /** Jobs one worker completes per second (measured). */
  workerThroughputPerSec: number;
  /** Seconds a job may wait in the queue before another worker is worth starting. */
  acceptableWaitSec: number;
  maxWorkers: number;
  scaleOutCooldownSec: number;
  scaleInMinutes: number;
  scaleInCooldownSec: number;
  scaleInIdleMinutes: number;
}

const SCALE_OUT_NOW: Omit<PlanAlarm, 'threshold'> = {
  comparisonOperator: 'GreaterThanOrEqualToThreshold',
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  treatMissingData: 'notBreaching',
};

export function scalingPlan(o: ScalingPlanInput): ScalingPlan {
  const target = targetBacklogPerWorker(o.workerThroughputPerSec, o.acceptableWaitSec);
  return {
    minCapacity: 0,
    maxCapacity: o.maxWorkers,
    targetBacklogPerWorker: target,
    startFromZero: {
      alarm: { threshold: 1, ...SCALE_OUT_NOW },
      steps: backlogSteps(target, o.maxWorkers),
      cooldownSec: o.scaleOutCooldownSec,
    },
    trackBacklog: { targetValue: target, scaleOutCooldownSec: o.scaleOutCooldownSec, disableScaleIn: true },
    scaleIn: {
      alarm: {
        threshold: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        evaluationPeriods: o.scaleInMinutes,
        datapointsToAlarm: o.scaleInMinutes,
        treatMissingData: 'notBreaching',
      },
      // The metric is the needed worker count itself: value n -> capacity n.
      steps: backlogSteps(1, o.maxWorkers),
      cooldownSec: o.scaleInCooldownSec,
    },
    scaleToZero: {
      alarm: {
        threshold: 0,
        comparisonOperator: 'LessThanOrEqualToThreshold',
        evaluationPeriods: o.scaleInIdleMinutes,
        datapointsToAlarm: o.scaleInIdleMinutes,
        treatMissingData: 'breaching',
      },
      // Below a <= threshold, the upper bound is inclusive: backlog 0 -> 0 - 0 = 0 <= 0.
      steps: [{ lowerBound: undefined, upperBound: 0, capacity: 0 }],
      cooldownSec: o.scaleInCooldownSec,
    },
  };
}

/**
 * Minutes of GPU time billed after the last job ends, on paper: the idle alarm's period, up to
 * two minutes of metric delay (SQS publishes each minute, the alarm evaluates the closed minute),
 * the capacity provider's fixed scale-in wait, and about one minute to drain and terminate.
 */
export function idleTailMinutes(scaleInIdleMinutes: number): { low: number; high: number } {
  const base = scaleInIdleMinutes + CAPACITY_PROVIDER_SCALE_IN_MINUTES + 1;
  return { low: base, high: base + 2 };
}

/** Dimensions of a CloudWatch metric, by name. */
export type Dimensions<V> = Record<string, V>;

/** A CloudWatch metric-math query, shaped like aws.cloudwatch.MetricAlarm's metricQueries. */
export interface MetricQuery<V> {
  id: string;
  expression?: string;
  label?: string;
  returnData: boolean;
  metric?: {
    namespace: string;
    metricName: string;
    dimensions: Dimensions<V>;
    period: number;
    stat: string;
  };
}

function metric<V>(
  id: string,
  namespace: string,
  metricName: string,
  dimensions: Dimensions<V>,
  stat = 'Maximum',
  period = METRIC_PERIOD_SEC,
): MetricQuery<V> {
  return { id, returnData: false, metric: { namespace, metricName, dimensions, period, stat } };
}

/**
 * depth = messages visible + messages not visible (received and hidden), per period. Also used by
 * the dead-letter alarms (infra/alarms.ts): the worker's DLQ sweep hides what it handled, so
 * "visible" alone would read 0 with letters still in the queue.
 */
export function queueDepthQueries<V>(
  queueName: V,
  label: string,
  periodSec = METRIC_PERIOD_SEC,
): MetricQuery<V>[] {
  const q = { QueueName: queueName };
  return [
    { id: 'depth', expression: 'visible + inflight', label, returnData: true },
    metric('visible', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', q, 'Maximum', periodSec),
    metric('inflight', 'AWS/SQS', 'ApproximateNumberOfMessagesNotVisible', q, 'Maximum', periodSec),
  ];
}

/** backlog = jobs waiting (visible) + jobs a worker holds (not visible), per minute. */
export function backlogMetricQueries<V>(queueName: V): MetricQuery<V>[] {
  return queueDepthQueries(queueName, 'Jobs waiting or running');
}

/** What the scaling metrics are about: the jobs queue, the ECS service and its instances. */
export interface ScalingSubjects<V> {
  queueName: V;
  clusterName: V;
  serviceName: V;
  autoScalingGroupName: V;
}

const queueMetrics = <V>(s: ScalingSubjects<V>) => [
  metric('visible', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: s.queueName }),
  metric('inflight', 'AWS/SQS', 'ApproximateNumberOfMessagesNotVisible', { QueueName: s.queueName }),
];

const instancesMetric = <V>(s: ScalingSubjects<V>) =>
  metric('instances', 'AWS/AutoScaling', 'GroupInServiceInstances', {
    AutoScalingGroupName: s.autoScalingGroupName,
  });

/**
 * visible messages while no worker task runs, else 0. The service's CPUUtilization exists only
 * while a task is RUNNING; FILL turns its absence into -1.
 */
export function startFromZeroQueries<V>(s: ScalingSubjects<V>): MetricQuery<V>[] {
  return [
    {
      id: 'waitingwithoutworker',
      expression: 'IF(FILL(tasks, -1) < 0, visible, 0)',
      label: 'Jobs waiting while no worker runs',
      returnData: true,
    },
    metric('visible', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: s.queueName }),
    metric(
      'tasks',
      'AWS/ECS',
      'CPUUtilization',
      { ClusterName: s.clusterName, ServiceName: s.serviceName },
      'SampleCount',
    ),
  ];
}

/** (visible + in flight) / in-service instances; 0 with no instance (target tracking then waits). */
export function backlogPerWorkerQueries<V>(s: ScalingSubjects<V>): MetricQuery<V>[] {
  return [
    {
      id: 'perworker',
      expression: 'IF(FILL(instances, 0) > 0, (visible + inflight) / instances, 0)',
      label: 'Jobs waiting or running per worker',
      returnData: true,
    },
    ...queueMetrics(s),
    instancesMetric(s),
  ];
}

/**
 * The worker count the backlog needs, max(1, ceil(backlog / target)), while more instances run
 * than that; else 0 (no scale-in).
 */
export function scaleInQueries<V>(s: ScalingSubjects<V>, target: number): MetricQuery<V>[] {
  return [
    { id: 'raw', expression: `CEIL((visible + inflight) / ${target})`, returnData: false },
    { id: 'needed', expression: 'IF(raw < 1, 1, raw)', returnData: false },
    {
      id: 'scalein',
      expression: 'IF(FILL(instances, 0) > needed, needed, 0)',
      label: 'Workers the backlog needs, when fewer than run',
      returnData: true,
    },
    ...queueMetrics(s),
    instancesMetric(s),
  ];
}

/** Pulumi wants step bounds as strings; undefined stays unset (infinite). */
export function toPulumiStep(s: StepAdjustment): {
  metricIntervalLowerBound?: string;
  metricIntervalUpperBound?: string;
  scalingAdjustment: number;
} {
  return {
    ...(s.lowerBound === undefined ? {} : { metricIntervalLowerBound: String(s.lowerBound) }),
    ...(s.upperBound === undefined ? {} : { metricIntervalUpperBound: String(s.upperBound) }),
    scalingAdjustment: s.capacity,
  };
}
