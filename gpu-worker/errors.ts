/**
 * @module gpu-worker/errors
 * The worker's own error. How a job can fail decides what happens to it:
 * - JobRejectedError (core/errors.ts; InvalidInputError is one): the job can never work here ->
 *   FAILED at once with its code.
 * - anything else is transient (throttling, network, a crashed thread) -> retried with backoff
 *   until the queue's max receive count, then FAILED and dead-lettered.
 */
import { FerryError } from '../core/errors.ts';

/** An inference thread died while running a batch; the jobs in it are retried. */
export class InferenceThreadError extends FerryError {
  override readonly name = 'InferenceThreadError';
  readonly code = 'INFERENCE_THREAD_FAILED';
}
