/**
 * @module gpu-worker/inference/thread
 * An inference thread: loads every task once (models warm for the worker's life), then runs the
 * batches the pool sends. onnxruntime's `session.run()` blocks its thread for the whole
 * inference, so it must never run on the consumer's main thread (heartbeats, health).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { JobErrorCode } from '../../core/job.ts';
import { loadTaskDefinitions } from '../tasks/registry.ts';
import { isJobTask, type LoadedTask } from '../tasks/task.ts';
import {
  type FromThread,
  type ItemOutcome,
  type RunBatch,
  type ThreadInit,
  toThreadError,
} from './protocol.ts';
import { createSessionRuntime } from './session.ts';

const port = parentPort;
if (!port) throw new Error('inference/thread.ts must run as a worker thread');
const post = (message: FromThread) => port.postMessage(message);

async function start(init: ThreadInit): Promise<Map<string, LoadedTask>> {
  const runtime = createSessionRuntime(init.executionProviders, init.intraOpThreads, init.taskOptions);
  const definitions = await loadTaskDefinitions(init.taskModules, init.builtInTasks);
  const loaded = new Map<string, LoadedTask>();
  for (const [name, definition] of definitions) {
    // Job tasks run on the main thread and call the model tasks loaded here.
    if (!isJobTask(definition)) loaded.set(name, await definition.load(runtime));
  }
  const choice = runtime.choice;
  post({
    type: 'ready',
    tasks: [...loaded.keys()],
    executionProvider: runtime.executionProvider,
    ...(choice?.fallbackFrom
      ? { fallbackFrom: choice.fallbackFrom, fallbackReason: choice.fallbackReason }
      : {}),
  });
  return loaded;
}

async function runBatch(tasks: Map<string, LoadedTask>, batch: RunBatch): Promise<ItemOutcome[]> {
  const task = tasks.get(batch.task);
  if (!task) {
    const error = {
      name: 'UnknownTaskError',
      message: `Unknown task "${batch.task}"`,
      code: JobErrorCode.UnknownTask,
    };
    return batch.items.map((item) => ({ id: item.id, ok: false, error }));
  }
  const outcomes: ItemOutcome[] = [];
  const prepared: { id: number; data: unknown; preprocess: number }[] = [];
  // Each input is prepared on its own, so one bad file fails alone and the rest still batch.
  for (const item of batch.items) {
    const t0 = performance.now();
    try {
      prepared.push({
        id: item.id,
        data: await task.preprocess(item.input, batch.limits),
        preprocess: performance.now() - t0,
      });
    } catch (error) {
      outcomes.push({ id: item.id, ok: false, error: toThreadError(error) });
    }
  }
  if (prepared.length === 0) return outcomes;
  const t0 = performance.now();
  try {
    const outputs = await task.infer(prepared.map((p) => p.data));
    const inference = performance.now() - t0;
    prepared.forEach((p, i) => {
      try {
        const result = task.postprocess(outputs[i], p.data);
        outcomes.push({ id: p.id, ok: true, result, timings: { preprocess: p.preprocess, inference } });
      } catch (error) {
        outcomes.push({ id: p.id, ok: false, error: toThreadError(error) });
      }
    });
  } catch (error) {
    const failure = toThreadError(error);
    for (const p of prepared) outcomes.push({ id: p.id, ok: false, error: failure });
  }
  return outcomes;
}

start(workerData as ThreadInit).then(
  (tasks) => {
    // Batches run one at a time: the pool sends the next only after `done`.
    port.on('message', (batch: RunBatch) => {
      runBatch(tasks, batch).then((outcomes) => post({ type: 'done', batchId: batch.batchId, outcomes }));
    });
  },
  (error: unknown) => post({ type: 'fatal', error: toThreadError(error) }),
);
