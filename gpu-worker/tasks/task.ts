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
  createSession(modelPath: string): Promise<InferenceSession>;
  /**
   * Execution provider the sessions actually run on, e.g. "cuda" or "cpu". Settled by the first
   * `createSession` (which may fall back); before that it is only the preferred one.
   */
  readonly executionProvider: string;
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
}

export interface TaskDefinition<Prepared = unknown, Output = unknown, Result = unknown> {
  /** The name jobs use to ask for this task, e.g. "ocr". Lowercase letters, digits and dashes. */
  name: string;
  /**
   * Run-time deadline of this task's jobs when a job names none, in seconds; capped by the
   * worker's FERRY_MAX_JOB_TIMEOUT_SEC. @default the worker's FERRY_JOB_TIMEOUT_SEC
   */
  timeoutSec?: number;
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
