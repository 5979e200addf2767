/**
 * infra/scaling-plan: workers start from zero on one waiting message, grow by target tracking,
 * shrink slowly and never below what the backlog needs, and go to zero only after the idle period.
 */
import { describe, expect, test } from 'vitest';
import {
  backlogMetricQueries,
  backlogPerWorkerQueries,
  backlogSteps,
  CAPACITY_PROVIDER_SCALE_IN_MINUTES,
  capacityForBacklog,
  capacityLevels,
  idleTailMinutes,
  MAX_STEP_ADJUSTMENTS,
  scaleInQueries,
  scalingPlan,
  startFromZeroQueries,
  targetBacklogPerWorker,
  toPulumiStep,
} from '../../../infra/scaling-plan.ts';

describe('backlogSteps', () => {
  test('one step per worker count when it fits', () => {
    expect(backlogSteps(20, 3)).toEqual([
      { lowerBound: 0, upperBound: 20, capacity: 1 },
      { lowerBound: 20, upperBound: 40, capacity: 2 },
      { lowerBound: 40, upperBound: undefined, capacity: 3 },
    ]);
  });

  test.each([
    [1, 1],
    [1, 4],
    [20, 2],
    [5, 20],
    [3, 7],
  ])('with target %i and at most %i workers, desired = min(max, ceil(backlog / target))', (target, max) => {
    const steps = backlogSteps(target, max);
    for (let backlog = 1; backlog <= target * (max + 2); backlog++) {
      expect(capacityForBacklog(steps, backlog)).toBe(Math.min(max, Math.ceil(backlog / target)));
    }
  });

  test('an empty queue needs no worker; one waiting message starts one (scale from zero)', () => {
    const steps = backlogSteps(20, 4);
    expect(capacityForBacklog(steps, 0)).toBe(0);
    expect(capacityForBacklog(steps, 1)).toBe(1);
  });

  test('steps are contiguous and unbounded only at the top', () => {
    for (const max of [1, 2, 19, 20, 21, 64, 100]) {
      const steps = backlogSteps(10, max);
      expect(steps[0]?.lowerBound).toBe(0);
      expect(steps.at(-1)?.upperBound).toBeUndefined();
      for (let i = 1; i < steps.length; i++) expect(steps[i]?.lowerBound).toBe(steps[i - 1]?.upperBound);
      expect(steps.length).toBeLessThanOrEqual(MAX_STEP_ADJUSTMENTS);
      expect(steps.at(-1)?.capacity).toBe(max);
    }
  });

  test('beyond 20 workers, levels are spread and never under-provision', () => {
    const levels = capacityLevels(64);
    expect(levels).toHaveLength(MAX_STEP_ADJUSTMENTS);
    expect(levels[0]).toBe(1);
    expect(levels.at(-1)).toBe(64);
    for (let i = 1; i < levels.length; i++) expect(levels[i]).toBeGreaterThan(levels[i - 1] ?? 0);
    const steps = backlogSteps(10, 64);
    for (let backlog = 1; backlog <= 700; backlog++) {
      expect(capacityForBacklog(steps, backlog)).toBeGreaterThanOrEqual(
        Math.min(64, Math.ceil(backlog / 10)),
      );
    }
  });
});

describe('targetBacklogPerWorker', () => {
  test('is what one worker clears within the acceptable wait: floor(throughput x wait)', () => {
    // README Performance: 4.28 images/s through the whole pipeline on 2 CPU cores.
    expect(targetBacklogPerWorker(4.28, 300)).toBe(1284);
    expect(targetBacklogPerWorker(1 / 75, 300)).toBe(4); // 75 s jobs
    expect(targetBacklogPerWorker(0.001, 60)).toBe(1); // never below one message
  });
});

describe('scalingPlan', () => {
  const input = {
    workerThroughputPerSec: 4.28,
    acceptableWaitSec: 300,
    maxWorkers: 4,
    scaleOutCooldownSec: 60,
    scaleInMinutes: 10,
    scaleInCooldownSec: 300,
    scaleInIdleMinutes: 5,
  };
  const plan = scalingPlan(input);

  test('ranges from zero to maxWorkers', () => {
    expect(plan.minCapacity).toBe(0);
    expect(plan.maxCapacity).toBe(4);
    expect(plan.targetBacklogPerWorker).toBe(1284);
  });

  test('one waiting message starts one worker from zero within one datapoint', () => {
    expect(plan.startFromZero.alarm).toMatchObject({
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
    });
    expect(capacityForBacklog(plan.startFromZero.steps, 1)).toBe(1);
    // A burst of 61 jobs is well within one worker's target: one instance, not every allowed one.
    expect(capacityForBacklog(plan.startFromZero.steps, 61)).toBe(1);
    expect(capacityForBacklog(plan.startFromZero.steps, 3 * 1284)).toBe(3);
  });

  test('scale-out and scale-in are asymmetric: fast out, slow in, slower to zero', () => {
    expect(plan.trackBacklog).toEqual({ targetValue: 1284, scaleOutCooldownSec: 60, disableScaleIn: true });
    expect(plan.scaleIn.alarm.evaluationPeriods).toBe(10);
    expect(plan.scaleIn.alarm.datapointsToAlarm).toBe(10);
    expect(plan.scaleIn.cooldownSec).toBeGreaterThan(plan.startFromZero.cooldownSec);
    expect(plan.scaleIn.alarm.evaluationPeriods).toBeGreaterThan(plan.startFromZero.alarm.evaluationPeriods);
  });

  test('scale-in sets exactly the needed worker count, never zero', () => {
    for (let needed = 1; needed <= 4; needed++)
      expect(capacityForBacklog(plan.scaleIn.steps, needed)).toBe(needed);
    expect(plan.scaleIn.steps.every((s) => s.capacity >= 1)).toBe(true);
  });

  test('scales to zero only after the queue was empty for every minute of the idle period', () => {
    expect(plan.scaleToZero.alarm).toMatchObject({
      threshold: 0,
      comparisonOperator: 'LessThanOrEqualToThreshold',
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      // An idle queue stops publishing metrics: silence counts as idle.
      treatMissingData: 'breaching',
    });
    expect(plan.scaleToZero.steps).toEqual([{ lowerBound: undefined, upperBound: 0, capacity: 0 }]);
  });

  test("the idle tail on paper: idle alarm + metric delay + the capacity provider's 15 minutes", () => {
    expect(CAPACITY_PROVIDER_SCALE_IN_MINUTES).toBe(15);
    expect(idleTailMinutes(5)).toEqual({ low: 21, high: 23 });
    expect(idleTailMinutes(15)).toEqual({ low: 31, high: 33 });
  });

  const subjects = { queueName: 'q', clusterName: 'c', serviceName: 's', autoScalingGroupName: 'g' };

  test('start-from-zero counts visible messages only while the service has no running task', () => {
    const queries = startFromZeroQueries(subjects);
    expect(queries.find((q) => q.returnData)?.expression).toBe('IF(FILL(tasks, -1) < 0, visible, 0)');
    expect(queries.find((q) => q.id === 'tasks')?.metric).toMatchObject({
      namespace: 'AWS/ECS',
      metricName: 'CPUUtilization',
      dimensions: { ClusterName: 'c', ServiceName: 's' },
    });
  });

  test('backlog per worker divides waiting + in-flight by in-service instances', () => {
    const queries = backlogPerWorkerQueries(subjects);
    expect(queries.filter((q) => q.returnData).map((q) => q.expression)).toEqual([
      'IF(FILL(instances, 0) > 0, (visible + inflight) / instances, 0)',
    ]);
    expect(queries.find((q) => q.id === 'instances')?.metric).toMatchObject({
      namespace: 'AWS/AutoScaling',
      metricName: 'GroupInServiceInstances',
      dimensions: { AutoScalingGroupName: 'g' },
    });
  });

  test('scale-in reports max(1, ceil(backlog / target)) while more instances run than that', () => {
    const queries = scaleInQueries(subjects, 1284);
    expect(queries.map((q) => q.expression).filter(Boolean)).toEqual([
      'CEIL((visible + inflight) / 1284)',
      'IF(raw < 1, 1, raw)',
      'IF(FILL(instances, 0) > needed, needed, 0)',
    ]);
    expect(queries.filter((q) => q.returnData).map((q) => q.id)).toEqual(['scalein']);
  });

  test('backlog counts waiting and in-flight messages of one queue', () => {
    const queries = backlogMetricQueries('ferry-jobs');
    expect(queries.filter((q) => q.returnData)).toEqual([
      { id: 'depth', expression: 'visible + inflight', label: 'Jobs waiting or running', returnData: true },
    ]);
    expect(queries.map((q) => q.metric?.metricName).filter(Boolean)).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesNotVisible',
    ]);
    for (const q of queries)
      if (q.metric)
        expect(q.metric).toMatchObject({
          namespace: 'AWS/SQS',
          dimensions: { QueueName: 'ferry-jobs' },
          period: 60,
        });
  });

  test('toPulumiStep leaves infinite bounds unset and stringifies the rest', () => {
    expect(toPulumiStep({ lowerBound: 0, upperBound: 20, capacity: 1 })).toEqual({
      metricIntervalLowerBound: '0',
      metricIntervalUpperBound: '20',
      scalingAdjustment: 1,
    });
    expect(toPulumiStep({ lowerBound: undefined, upperBound: 0, capacity: 0 })).toEqual({
      metricIntervalUpperBound: '0',
      scalingAdjustment: 0,
    });
  });
});
