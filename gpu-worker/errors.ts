/**
 * @module gpu-worker/errors
 * How a job can fail in the worker. The class decides what happens to the job:
 * - InvalidInputError (tasks/task.ts): the input can never work -> FAILED at once.
 * - JobRejectedError: the job asks for something this worker cannot do -> FAILED at once.
 * - anything else is transient (throttling, network, a crashed thread) -> retried with backoff
 *   until the queue's max receive count, then FAILED and dead-lettered.
 */
import { FerryError } from '../core/errors.ts';

export { InvalidInputError } from './tasks/task.ts';

/** The job cannot run here, e.g. an unknown task; no retry can help. */
export class JobRejectedError extends FerryError {
  override readonly name = 'JobRejectedError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** An inference thread died while running a batch; the jobs in it are retried. */
export class InferenceThreadError extends FerryError {
  override readonly name = 'InferenceThreadError';
  readonly code = 'INFERENCE_THREAD_FAILED';
}
