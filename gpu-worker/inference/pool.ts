/**
 * @module gpu-worker/inference/pool
 * A pool of inference threads with optional dynamic batching across jobs (as Triton does):
 * requests for the same task wait up to `maxBatchWaitMs` to fill a batch of `maxBatchSize`,
 * then go to the next idle thread as one inference call. With `maxBatchSize` 1 each request
 * goes to a thread as soon as one is free.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { InvalidInputError, JobRejectedError } from '../../core/errors.ts';
import { JobErrorCode } from '../../core/job.ts';
import { InferenceThreadError } from '../errors.ts';
import type { ModelInput } from '../tasks/task.ts';
import type { FromThread, ItemOutcome, RunBatch, ThreadError, ThreadInit } from './protocol.ts';

export interface InferencePoolOptions extends ThreadInit {
  threads: number;
  maxBatchSize: number;
  maxBatchWaitMs: number;
  limits: { maxInputBytes: number; maxInputPixels: number };
}

export interface InferenceResult {
  result: unknown;
  timings: { preprocess: number; inference: number; waitForThread: number };
  executionProvider: string;
  batchSize: number;
}

export interface PoolInfo {
  tasks: string[];
  executionProvider: string;
  fallbackFrom?: string;
  fallbackReason?: string;
}

interface Pending {
  id: number;
  task: string;
  input: ModelInput;
  enqueuedAt: number;
  resolve(value: InferenceResult): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  batch?: { id: number; items: Pending[] };
}

export interface PoolEvents {
  batch: [size: number, task: string];
  threadExit: [error: Error];
}

export class InferencePool extends EventEmitter<PoolEvents> {
  readonly #options: InferencePoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #info: PoolInfo | undefined;
  #nextId = 1;
  #timer: NodeJS.Timeout | undefined;
  #closing = false;

  constructor(options: InferencePoolOptions) {
    super();
    this.#options = options;
  }

  /** Starts every thread and waits until all have loaded their tasks. */
  async start(): Promise<PoolInfo> {
    const infos = await Promise.all(Array.from({ length: this.#options.threads }, () => this.#spawn()));
    this.#info = infos[0];
    return infos[0] as PoolInfo;
  }

  /** Requests waiting for a thread. */
  get queued(): number {
    return this.#queue.length;
  }

  /** The execution provider the threads loaded with, once started (job tasks report it). */
  get executionProvider(): string | undefined {
    return this.#info?.executionProvider;
  }

  /**
   * Runs one input through the task. When `signal` aborts (deadline, cancel), a request still
   * waiting is dropped, and a thread running it is terminated and replaced: a blocked
   * `session.run()` cannot be interrupted any other way. Other jobs in that batch are retried.
   */
  run(task: string, input: ModelInput, signal?: AbortSignal): Promise<InferenceResult> {
    if (this.#closing) return Promise.reject(new InferenceThreadError('The inference pool is shutting down'));
    if (this.#info && !this.#info.tasks.includes(task)) {
      return Promise.reject(
        new JobRejectedError(
          JobErrorCode.UnknownTask,
          `Unknown task "${task}". This worker runs: ${this.#info.tasks.join(', ')}.`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        id: this.#nextId++,
        task,
        input,
        enqueuedAt: performance.now(),
        resolve,
        reject,
      };
      this.#queue.push(pending);
      this.#dispatch();
      signal?.addEventListener('abort', () => this.#abandon(pending, signal.reason), { once: true });
    });
  }

  #abandon(pending: Pending, reason: unknown): void {
    const queued = this.#queue.indexOf(pending);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      pending.reject(reason instanceof Error ? reason : new Error(String(reason)));
      return;
    }
    const slot = this.#slots.find((s) => s.batch?.items.some((p) => p.id === pending.id));
    if (slot) void slot.worker.terminate(); // the 'exit' handler fails the batch and spawns a replacement
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    for (const p of this.#queue.splice(0)) p.reject(new InferenceThreadError('The inference pool closed'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #spawn(): Promise<PoolInfo> {
    const { threads: _t, maxBatchSize: _b, maxBatchWaitMs: _w, limits: _l, ...init } = this.#options;
    const worker = createThreadWorker(init);
    const slot: Slot = { worker };
    return new Promise((resolve, reject) => {
      worker.on('message', (message: FromThread) => {
        if (message.type === 'ready') {
          this.#slots.push(slot);
          const { type: _, ...info } = message;
          resolve(info);
          this.#dispatch();
        } else if (message.type === 'fatal') {
          reject(new Error(`Inference thread failed to start: ${message.error.message}`));
        } else {
          this.#complete(slot, message.batchId, message.outcomes);
        }
      });
      worker.on('error', (error) => reject(error));
      worker.on('exit', (code) => {
        const index = this.#slots.indexOf(slot);
        if (index >= 0) this.#slots.splice(index, 1);
        if (this.#closing) return;
        const error = new InferenceThreadError(`Inference thread exited with code ${code}`);
        for (const p of slot.batch?.items ?? []) p.reject(error);
        this.emit('threadExit', error);
        if (index >= 0) this.#spawn().catch((e: Error) => this.emit('threadExit', e));
      });
    });
  }

  #complete(slot: Slot, batchId: number, outcomes: ItemOutcome[]): void {
    const batch = slot.batch;
    if (!batch || batch.id !== batchId) return;
    slot.batch = undefined;
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    for (const p of batch.items) {
      const outcome = byId.get(p.id);
      if (!outcome) p.reject(new InferenceThreadError(`No outcome for request ${p.id}`));
      else if (outcome.ok) {
        p.resolve({
          result: outcome.result,
          timings: { ...outcome.timings, waitForThread: 0 },
          executionProvider: this.#info?.executionProvider ?? 'unknown',
          batchSize: batch.items.length,
        });
      } else p.reject(fromThreadError(outcome.error));
    }
    this.#dispatch();
  }

  #dispatch(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const slot of this.#slots) {
      if (slot.batch) continue;
      const oldest = this.#queue[0];
      if (!oldest) return;
      const sameTask = this.#queue.filter((p) => p.task === oldest.task);
      const waited = performance.now() - oldest.enqueuedAt;
      const { maxBatchSize, maxBatchWaitMs } = this.#options;
      if (sameTask.length < maxBatchSize && waited < maxBatchWaitMs) {
        this.#timer = setTimeout(() => this.#dispatch(), maxBatchWaitMs - waited);
        return;
      }
      const items = sameTask.slice(0, maxBatchSize);
      for (const p of items) this.#queue.splice(this.#queue.indexOf(p), 1);
      this.#send(slot, oldest.task, items);
    }
  }

  #send(slot: Slot, task: string, items: Pending[]): void {
    const batchId = this.#nextId++;
    const started = performance.now();
    slot.batch = {
      id: batchId,
      items: items.map((p) => ({
        ...p,
        // Record how long each request waited for a thread alongside the thread's own timings.
        resolve: (value) =>
          p.resolve({ ...value, timings: { ...value.timings, waitForThread: started - p.enqueuedAt } }),
      })),
    };
    const message: RunBatch = {
      type: 'run',
      batchId,
      task,
      items: items.map((p) => ({ id: p.id, input: p.input })),
      limits: this.#options.limits,
    };
    // Inputs are copied, not transferred: a few MB copy in about a millisecond, and the caller
    // keeps its buffer for a retry.
    slot.worker.postMessage(message);
    this.emit('batch', items.length, task);
  }
}

function fromThreadError(error: ThreadError): Error {
  if (error.name === 'InvalidInputError') return new InvalidInputError(error.message);
  if (error.code === JobErrorCode.UnknownTask)
    return new JobRejectedError(JobErrorCode.UnknownTask, error.message);
  return Object.assign(new Error(error.message), { name: error.name, code: error.code });
}

/**
 * Starts the thread module next to this file. Under tsx (development, tests) a .ts thread needs
 * tsx registered inside the thread first: Node does not pass `--import` hooks to worker threads.
 */
function createThreadWorker(init: ThreadInit): Worker {
  const here = import.meta.url;
  const thread = new URL(`./thread${here.endsWith('.ts') ? '.ts' : '.js'}`, here).href;
  if (!here.endsWith('.ts')) return new Worker(new URL(thread), { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(thread)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}
