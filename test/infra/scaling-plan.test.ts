/**
 * infra/scaling-plan: the step policy sets ceil(backlog / target) workers (capped) from zero up,
 * and the idle alarm takes the service to zero only after the whole idle period.
 */
import { describe, expect, test } from 'vitest';
import {
  backlogMetricQueries,
  backlogSteps,
  capacityForBacklog,
  capacityLevels,
  MAX_STEP_ADJUSTMENTS,
  scalingPlan,
  toPulumiStep,
} from '../../infra/scaling-plan.ts';

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

describe('scalingPlan', () => {
  const plan = scalingPlan({
    targetBacklogPerWorker: 20,
    maxWorkers: 4,
    scaleInIdleMinutes: 15,
    cooldownSec: 60,
  });

  test('ranges from zero to maxWorkers', () => {
    expect(plan.minCapacity).toBe(0);
    expect(plan.maxCapacity).toBe(4);
  });

  test('scales out as soon as one message is waiting or in flight', () => {
    expect(plan.scaleOut.alarm).toMatchObject({
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
    });
  });

  test('scales to zero only after the queue was empty for every minute of the idle period', () => {
    expect(plan.scaleIn.alarm).toMatchObject({
      threshold: 0,
      comparisonOperator: 'LessThanOrEqualToThreshold',
      evaluationPeriods: 15,
      datapointsToAlarm: 15,
      // An idle queue stops publishing metrics: silence counts as idle.
      treatMissingData: 'breaching',
    });
    expect(plan.scaleIn.steps).toEqual([{ lowerBound: undefined, upperBound: 0, capacity: 0 }]);
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
