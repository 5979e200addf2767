/**
 * @module gpu-worker/inference/protocol
 * Messages between the consumer's main thread and its inference threads.
 */
import type { ModelInput } from '../tasks/task.ts';

/** Given to each inference thread at start. */
export interface ThreadInit {
  taskModules: string[];
  /** Built-in tasks to load; undefined = all. */
  builtInTasks?: string[];
  executionProviders: string[];
  intraOpThreads: number;
  /** Each task's options, read once on the main thread (tasks/registry.ts readTaskOptions), by task name. */
  taskOptions: Record<string, unknown>;
}

export interface BatchItem {
  id: number;
  input: ModelInput;
}

export interface RunBatch {
  type: 'run';
  batchId: number;
  task: string;
  items: BatchItem[];
  limits: { maxInputBytes: number; maxInputPixels: number };
}

/** A serialised error: structured clone loses class identity, so name/code travel explicitly. */
export interface ThreadError {
  name: string;
  message: string;
  code?: string;
}

export type ItemOutcome =
  | { id: number; ok: true; result: unknown; timings: { preprocess: number; inference: number } }
  | { id: number; ok: false; error: ThreadError };

export type FromThread =
  | {
      type: 'ready';
      tasks: string[];
      executionProvider: string;
      fallbackFrom?: string;
      fallbackReason?: string;
    }
  | { type: 'fatal'; error: ThreadError }
  | { type: 'done'; batchId: number; outcomes: ItemOutcome[] };

export function toThreadError(error: unknown): ThreadError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}
