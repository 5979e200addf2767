/**
 * gpu-worker/periodic-sweep: runs at once and then every period, never overlaps itself, and a
 * step that fails is logged while the next step and the next run still happen.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { Logger } from '../../../gpu-worker/logger.ts';
import { startPeriodicSweep } from '../../../gpu-worker/periodic-sweep.ts';

const logger = () => {
  const warnings: Array<[string, unknown]> = [];
  const log = {
    warn: (message: string, fields?: unknown) => warnings.push([message, fields]),
  } as unknown as Logger;
  return { log, warnings };
};

afterEach(() => vi.useRealTimers());

describe('startPeriodicSweep', () => {
  test('a failing step is logged, the next step still runs, and so does the next period', async () => {
    vi.useFakeTimers();
    const { log, warnings } = logger();
    const calls: string[] = [];
    const sweep = startPeriodicSweep(
      'test',
      1000,
      [
        async () => {
          calls.push('a');
          throw new Error('refused');
        },
        async () => {
          calls.push('b');
        },
      ],
      log,
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual(['a', 'b']);
    expect(warnings[0]?.[0]).toBe('test sweep failed; will retry');
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual(['a', 'b', 'a', 'b']);
    sweep.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(4);
  });

  test('a run still going when the next is due is not started twice', async () => {
    vi.useFakeTimers();
    let running = 0;
    let most = 0;
    const sweep = startPeriodicSweep(
      'slow',
      100,
      [
        async () => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 350));
          running -= 1;
        },
      ],
      logger().log,
    );
    await vi.advanceTimersByTimeAsync(1000);
    sweep.stop();
    expect(most).toBe(1);
  });
});
