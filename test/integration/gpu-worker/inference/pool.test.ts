/**
 * The inference pool with real threads and the real OCR model: explicit CPU fallback, dynamic
 * batching across requests, and a main thread that stays responsive while models run.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../core/errors.ts';
import { InferencePool, type InferencePoolOptions } from '../../../../gpu-worker/inference/pool.ts';
import { renderTextImage } from '../../../support/text-images.ts';

const pools: InferencePool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function pool(options: Partial<InferencePoolOptions> = {}): InferencePool {
  const p = new InferencePool({
    threads: 1,
    intraOpThreads: 1,
    executionProviders: ['cpu'],
    taskModules: ['test/fixtures/tasks/sleep-task.ts'],
    taskOptions: {},
    maxBatchSize: 1,
    maxBatchWaitMs: 0,
    limits: { maxInputBytes: 10_000_000, maxInputPixels: 10_000_000 },
    ...options,
  });
  pools.push(p);
  return p;
}

const sleepInput = (ms: number) => new Uint8Array(Buffer.from(JSON.stringify({ ms })));

describe('InferencePool', () => {
  it('falls back to CPU explicitly when CUDA cannot load, and says so', async () => {
    const info = await pool({ executionProviders: ['cuda', 'cpu'] }).start();
    expect(info).toMatchObject({ executionProvider: 'cpu', fallbackFrom: 'cuda', tasks: ['ocr', 'sleep'] });
    expect(info.fallbackReason).toMatch(/cuda/i);
  });

  it('batches concurrent requests for the same task up to the max batch size', async () => {
    const p = pool({ maxBatchSize: 4, maxBatchWaitMs: 200 });
    await p.start();
    const results = await Promise.all(Array.from({ length: 6 }, () => p.run('sleep', sleepInput(10))));
    expect(results.map((r) => r.batchSize).sort()).toEqual([2, 2, 4, 4, 4, 4]);
  });

  it('terminates and replaces a thread stuck on an abandoned request, and drops a waiting one', async () => {
    const p = pool({ builtInTasks: [] });
    await p.start();
    const exits: Error[] = [];
    p.on('threadExit', (e) => exits.push(e));
    const stuck = new AbortController();
    const waiting = new AbortController();
    const running = p.run('sleep', sleepInput(600_000), stuck.signal);
    const queued = p.run('sleep', sleepInput(1), waiting.signal);
    waiting.abort(new Error('deadline'));
    await expect(queued).rejects.toThrow('deadline');
    stuck.abort(new Error('deadline'));
    await expect(running).rejects.toThrow(/exited/);
    expect(exits).toHaveLength(1);
    // The replacement thread takes the next request.
    expect((await p.run('sleep', sleepInput(1))).result).toMatchObject({ sleptMs: expect.any(Number) });
  });

  it('fails only the bad input of a batch', async () => {
    const p = pool({ maxBatchSize: 2, maxBatchWaitMs: 200 });
    await p.start();
    const [bad, good] = await Promise.allSettled([
      p.run('sleep', new Uint8Array(Buffer.from('not json'))),
      p.run('sleep', sleepInput(1)),
    ]);
    expect(bad.status === 'rejected' && bad.reason).toBeInstanceOf(InvalidInputError);
    expect(good.status).toBe('fulfilled');
  });

  it('keeps the main event loop responsive while OCR runs in the threads', async () => {
    const p = pool({ threads: 1 });
    await p.start();
    const images = await Promise.all(
      [1, 2, 3, 4].map((seed) =>
        renderTextImage({ lines: ['Responsive main thread', 'while the model runs'], seed }),
      ),
    );
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const results = await Promise.all(images.map((image) => p.run('ocr', image)));
    delay.disable();
    const slowest = Math.max(...results.map((r) => r.timings.inference));
    const maxLagMs = delay.max / 1e6;
    // Inference on the main thread would stall the loop for a whole inference at least.
    expect(slowest).toBeGreaterThan(50);
    expect(maxLagMs).toBeLessThan(Math.max(50, slowest / 2));
  });
});
