/**
 * @module infra/scaling-plan
 * The arithmetic of backlog scaling, as plain data: step adjustments, alarm settings and the
 * CloudWatch metric math. infra/scaling.ts turns the plan into resources; tests check the plan.
 *
 * Why step scaling on the total backlog, not target tracking:
 * - Target tracking cannot start from zero tasks: a per-task metric is undefined at zero, and
 *   the policy never acts on a missing metric.
 * - A "running tasks" metric for the divisor exists only with Container Insights (billed per
 *   metric, and absent at zero as well).
 * - One step policy with adjustment type ExactCapacity, keyed on backlog = visible + in-flight
 *   messages, sets desired = ceil(backlog / targetBacklogPerWorker) (capped): it starts the first
 *   worker as soon as one message waits, and tracks backlog per worker while running, without
 *   dividing by anything.
 * - Scale-in to zero is a second alarm: backlog == 0 for N consecutive minutes -> exact capacity 0.
 *   In-flight messages count as backlog, so a worker holding a job is never scaled away by it;
 *   task scale-in protection (set by the worker) covers the step policy lowering capacity.
 */

/** SQS publishes queue metrics once a minute. */
export const METRIC_PERIOD_SEC = 60;

/** Step adjustments per policy: the Auto Scaling limit is 20. */
export const MAX_STEP_ADJUSTMENTS = 20;

/** One step: when backlog - threshold is in [lowerBound, upperBound), set capacity. */
export interface StepAdjustment {
  /** Inclusive lower bound of (metric - threshold); undefined is minus infinity. */
  lowerBound: number | undefined;
  /** Exclusive upper bound of (metric - threshold) (inclusive below the threshold); undefined is infinity. */
  upperBound: number | undefined;
  /** Exact desired task count for this step. */
  capacity: number;
}

/** The settings of one CloudWatch alarm over the backlog expression. */
export interface BacklogAlarm {
  threshold: number;
  comparisonOperator: 'GreaterThanOrEqualToThreshold' | 'LessThanOrEqualToThreshold';
  evaluationPeriods: number;
  datapointsToAlarm: number;
  /** Inactive queues stop publishing metrics: missing data means "nothing happening". */
  treatMissingData: 'notBreaching' | 'breaching';
}

export interface ScalingPlan {
  minCapacity: 0;
  maxCapacity: number;
  cooldownSec: number;
  /** Backlog >= 1 -> capacity by backlog bucket (also the path from zero). */
  scaleOut: { alarm: BacklogAlarm; steps: StepAdjustment[] };
  /** Backlog == 0 for scaleInIdleMinutes -> capacity 0. */
  scaleIn: { alarm: BacklogAlarm; steps: StepAdjustment[] };
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
 * Steps for an alarm with threshold 1 (>=): with backlog b, metric - threshold = b - 1, and
 * level c_i applies while b - 1 is in [c_(i-1) * target, c_i * target), i.e. for
 * c_(i-1) * target < b <= c_i * target. With one level per count this is ceil(b / target).
 */
export function backlogSteps(
  targetBacklogPerWorker: number,
  maxWorkers: number,
  maxSteps = MAX_STEP_ADJUSTMENTS,
): StepAdjustment[] {
  const levels = capacityLevels(maxWorkers, maxSteps);
  return levels.map((capacity, i) => ({
    lowerBound: (levels[i - 1] ?? 0) * targetBacklogPerWorker,
    upperBound: i === levels.length - 1 ? undefined : capacity * targetBacklogPerWorker,
    capacity,
  }));
}

/** Desired workers for a backlog under the steps (what Application Auto Scaling will do). */
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
  targetBacklogPerWorker: number;
  maxWorkers: number;
  scaleInIdleMinutes: number;
  cooldownSec: number;
}

export function scalingPlan(o: ScalingPlanInput): ScalingPlan {
  return {
    minCapacity: 0,
    maxCapacity: o.maxWorkers,
    cooldownSec: o.cooldownSec,
    scaleOut: {
      alarm: {
        threshold: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: 'notBreaching',
      },
      steps: backlogSteps(o.targetBacklogPerWorker, o.maxWorkers),
    },
    scaleIn: {
      alarm: {
        threshold: 0,
        comparisonOperator: 'LessThanOrEqualToThreshold',
        evaluationPeriods: o.scaleInIdleMinutes,
        datapointsToAlarm: o.scaleInIdleMinutes,
        treatMissingData: 'breaching',
      },
      // Below a <= threshold, the upper bound is inclusive: backlog 0 -> 0 - 0 = 0 <= 0.
      steps: [{ lowerBound: undefined, upperBound: 0, capacity: 0 }],
    },
  };
}

/** A CloudWatch metric-math query, shaped like aws.cloudwatch.MetricAlarm's metricQueries. */
export interface MetricQuery<Name> {
  id: string;
  expression?: string;
  label?: string;
  returnData: boolean;
  metric?: {
    namespace: string;
    metricName: string;
    dimensions: { QueueName: Name };
    period: number;
    stat: string;
  };
}

/**
 * depth = messages visible + messages not visible (received and hidden), per period. Also used by
 * the dead-letter alarms (infra/alarms.ts): the worker's DLQ sweep hides what it handled, so
 * "visible" alone would read 0 with letters still in the queue.
 */
export function queueDepthQueries<Name>(
  queueName: Name,
  label: string,
  periodSec = METRIC_PERIOD_SEC,
): MetricQuery<Name>[] {
  const sqs = (metricName: string) => ({
    namespace: 'AWS/SQS',
    metricName,
    dimensions: { QueueName: queueName },
    period: periodSec,
    stat: 'Maximum',
  });
  return [
    { id: 'depth', expression: 'visible + inflight', label, returnData: true },
    { id: 'visible', metric: sqs('ApproximateNumberOfMessagesVisible'), returnData: false },
    { id: 'inflight', metric: sqs('ApproximateNumberOfMessagesNotVisible'), returnData: false },
  ];
}

/** backlog = jobs waiting (visible) + jobs a worker holds (not visible), per minute. */
export function backlogMetricQueries<Name>(queueName: Name): MetricQuery<Name>[] {
  return queueDepthQueries(queueName, 'Jobs waiting or running');
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
