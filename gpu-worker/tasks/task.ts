/**
 * @module gpu-worker/tasks/task
 * The contract a task implements to run inside Ferry's inference threads.
 *
 * A task is loaded once per inference thread (models warm for the life of the worker), then
 * handles jobs in three steps: `preprocess` turns the input bytes into model-ready data,
 * `infer` runs the models over a batch of prepared inputs, `postprocess` turns one output into
 * the JSON written to `results/<jobId>.json`. The consumer times each step separately.
 *
 * To add a task for your own .onnx model, export a `TaskDefinition` as the default export of a
 * module and list that module in FERRY_TASK_MODULES; nothing in the consumer changes.
 */
import type { InferenceSession } from 'onnxruntime-node';

/** What the inference thread gives a task when loading it. */
export interface TaskRuntime {
  /**
   * Creates an onnxruntime session with the thread's execution providers, thread counts and
   * graph optimisation already applied (and the explicit CPU fallback, see inference/session.ts).
   */
  createSession(modelPath: string, tuning?: SessionTuning): Promise<InferenceSession>;
  /**
   * Execution provider the sessions actually run on, e.g. "cuda" or "cpu". Settled by the first
   * `createSession` (which may fall back); before that it is only the preferred one.
   */
  readonly executionProvider: string;
  /**
   * Options read for each task on the worker's main thread at start (tasks/registry.ts), by task
   * name; a task reads its own entry instead of the environment. Absent outside the worker.
   */
  readonly taskOptions?: Readonly<Record<string, unknown>>;
}

/** Per-session onnxruntime settings a task may choose for its own models. */
export interface SessionTuning {
  /** onnxruntime's CPU memory arena (enableCpuMemArena). Default true, onnxruntime's own default. */
  cpuArena?: boolean;
}

/** Limits every task must respect when reading untrusted input. */
export interface InputLimits {
  /** Largest accepted input in bytes (the consumer also enforces this on download). */
  maxInputBytes: number;
  /** Largest accepted decoded image, in pixels (width x height). Guards against decompression bombs. */
  maxInputPixels: number;
}

export interface LoadedTask<Prepared = unknown, Output = unknown, Result = unknown> {
  /** Decode and prepare one input. Throws InvalidInputError for input no retry can fix. */
  preprocess(input: Uint8Array, limits: InputLimits): Promise<Prepared>;
  /** Run the models over a batch (length >= 1); returns one output per input, in order. */
  infer(batch: Prepared[]): Promise<Output[]>;
  /** Turn one output into the JSON-serialisable result. */
  postprocess(output: Output, prepared: Prepared): Result;
  /** Free sessions and buffers (called on shutdown). */
  release?(): Promise<void>;
}

export interface TaskDefinition<Prepared = unknown, Output = unknown, Result = unknown> {
  /** The name jobs use to ask for this task, e.g. "ocr". Lowercase letters, digits and dashes. */
  name: string;
  load(runtime: TaskRuntime): Promise<LoadedTask<Prepared, Output, Result>>;
}

/**
 * The input cannot be processed, and retrying will not change that (not an image, corrupt,
 * truncated, too large). The job fails at once with `message` as its user-facing error.
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  readonly code = 'INVALID_INPUT';
}
