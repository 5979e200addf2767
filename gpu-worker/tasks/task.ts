/**
 * @module gpu-worker/tasks/task
 * The contract a task implements to run inside Ferry's inference threads.
 *
 * A model task (`TaskDefinition`) is loaded once per inference thread (models warm for the life
 * of the worker), then handles inputs in three steps: `preprocess` turns the input bytes into
 * model-ready data, `infer` runs the models over a batch of prepared inputs, `postprocess` turns
 * one output into a JSON-serialisable result. The threads time each step separately.
 *
 * Every job runs as a job task (`JobTaskDefinition`, below) through one lifecycle
 * (job-runner.ts): a model task's job is the simplest one, whose `run` sends the whole input
 * through `ctx.infer` once (tasks/registry.ts `modelJobTask`). A job made of many model calls (a
 * video) is a job task of its own: it runs on the main thread and drives the pool through
 * `ctx.infer`.
 *
 * To add a task, export a `TaskDefinition` or `JobTaskDefinition` as the default export of a
 * module (and its `TaskDescription`, core/tasks.ts, as `description`) and list that module in
 * FERRY_TASK_MODULES; nothing in the runner changes (README "Adding a task").
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { Log } from '../../core/log.ts';
import type { ProgressStage } from '../../core/progress.ts';

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
  /**
   * onnxruntime's memory pattern (enableMemPattern): buffers planned once for an input shape and
   * reused while the shape repeats. Default true, onnxruntime's own default.
   */
  memPattern?: boolean;
}

/** Limits every task must respect when reading untrusted input. */
export interface InputLimits {
  /** Largest accepted input in bytes (the consumer also enforces this on download). */
  maxInputBytes: number;
  /** Largest accepted decoded image, in pixels (width x height). Guards against decompression bombs. */
  maxInputPixels: number;
}

export interface LoadedTask<Prepared = unknown, Output = unknown, Result = unknown> {
  /**
   * Decode and prepare one input: a file's bytes, or a decoded frame from a job task (tasks that
   * take only bytes may declare `input: Uint8Array`). Throws InvalidInputError for input no retry
   * can fix.
   */
  preprocess(input: ModelInput, limits: InputLimits): Promise<Prepared>;
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
 * Thrown by a task for input no retry can fix (not an image, corrupt, truncated, too large): the
 * job fails at once with its message as the user-facing error. Re-exported here for task authors.
 */
export { InvalidInputError } from '../../core/errors.ts';

/**
 * A decoded 8-bit RGB frame given to a model task instead of a file (a job task's video frame,
 * say), so nothing is encoded only to be decoded again. Model tasks that read images accept it
 * in `preprocess` alongside bytes.
 */
export interface RgbFrame {
  kind: 'rgb';
  /** width x height x 3 bytes, rows top to bottom. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** What a model task's `preprocess` may be given: a file's bytes, or a decoded frame. */
export type ModelInput = Uint8Array | RgbFrame;

export function isRgbFrame(input: ModelInput): input is RgbFrame {
  return !(input instanceof Uint8Array) && input.kind === 'rgb';
}

/**
 * The input of a job task, downloaded once by the runner: in memory when small, else in a
 * temporary file (input-file.ts); either way it can be read whole or as a file. Deleted after the job.
 */
export interface JobInput {
  /** Bytes. */
  size: number;
  /** The object's key, e.g. `uploads/<jobId>/talk.mp4`. */
  key: string;
  contentType?: string;
  /** The whole input. */
  bytes(): Promise<Uint8Array>;
  /** A file holding the input, for tools that read files (ffmpeg). */
  path(): Promise<string>;
}

/**
 * What a job task gets besides its input: the inference pool, progress, checkpoints. The runner
 * reports the `downloading` and `writing` stages; a task reports the stages between (`decoding`,
 * `inferring`).
 */
export interface JobContext<State = unknown> {
  jobId: string;
  /** Aborted when the job is canceled, taken over, or the worker stops: end promptly. */
  signal: AbortSignal;
  /** Execution provider of the inference threads (e.g. "cuda" or "cpu"). */
  executionProvider: string;
  /** Inference threads: keep about twice as many `infer` calls in flight to use them all. */
  inferenceThreads: number;
  /**
   * Runs one input through a model task in the pool; resolves with its postprocessed result.
   * Rejects once `signal` aborts.
   */
  infer(task: string, input: ModelInput): Promise<unknown>;
  /** Reports progress; the runner writes it to the record at most every 2 s and on stage change. */
  progress(stage: ProgressStage, done: number, total: number): void;
  /** Resumable tasks only: the state saved by an earlier attempt's last checkpoint, if any. */
  resumeFrom?: State;
  /** True when a checkpoint is due (every FERRY_CHECKPOINT_SEC of work); cheap, call it often. */
  checkpointDue(): boolean;
  /** Saves `state` as this job's checkpoint (resumable tasks; a no-op for others). */
  checkpoint(state: State): Promise<void>;
  log: Log;
}

/** A further result object, written at `results/<jobId><suffix>` beside the JSON result. */
export interface ResultFile {
  /** E.g. ".vtt". */
  suffix: string;
  body: string;
  contentType: string;
}

export interface JobTaskOutput {
  /** JSON-serialisable; written to `results/<jobId>.json` under `result`. */
  result: unknown;
  files?: ResultFile[];
  /** How the input was decoded, e.g. "nvdec" or "cpu"; shown in metrics. */
  decoder?: string;
}

/**
 * What the runner runs for a job. It runs on the worker's main thread, reads its input
 * (`JobInput`), and sends work to model tasks through `ctx.infer`; one with many model calls (a
 * video is hundreds of frames) keeps about `2 x ctx.inferenceThreads` in flight.
 * A task that sets `resumable` gets `ctx.resumeFrom` after a takeover and should save its state
 * with `ctx.checkpoint` whenever `ctx.checkpointDue()`; a task without it restarts from zero.
 */
export interface JobTaskDefinition<State = unknown> {
  name: string;
  /** Largest input accepted, in bytes (checked before the download starts). */
  maxInputBytes: number;
  /** Run-time deadline of its jobs when a job names none, in seconds (capped by the worker's maximum). */
  timeoutSec?: number;
  resumable?: boolean;
  /**
   * Its job is one model call (a model task's, tasks/registry.ts modelJobTask), so it ends within
   * seconds: progress is held back for the reporter's first interval (a job that ends sooner
   * costs no progress write; its final write says 100%), and a job that stops (deadline, cancel)
   * stops its call by ending the thread, since nothing else ends a blocked `session.run()`.
   * Otherwise every stage change is written from the start, for watchers of a long job, and a
   * stopped job's calls already in a thread run out there (each is short; ending a thread costs
   * its models' reload).
   */
  oneModelCall?: boolean;
  run(input: JobInput, ctx: JobContext<State>): Promise<JobTaskOutput>;
}

export function isJobTask(task: TaskDefinition | JobTaskDefinition): task is JobTaskDefinition {
  return typeof (task as JobTaskDefinition).run === 'function';
}
