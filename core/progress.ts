/**
 * @module core/progress
 * A running job's progress: the stage it is in, how far through that stage, and one overall
 * percentage that only rises while one worker holds the job. The worker writes it to the record
 * (gpu-worker/progress-reporter.ts); the API and the CLI show it.
 */

/** Stages in the order a job passes them; a job may skip some (an image has no decoding). */
export const PROGRESS_STAGES = ['downloading', 'decoding', 'inferring', 'writing', 'done'] as const;
export type ProgressStage = (typeof PROGRESS_STAGES)[number];

/** Share of the overall percentage each stage covers; inference is nearly all of a long job. */
const STAGE_WEIGHT: Readonly<Record<ProgressStage, number>> = {
  downloading: 5,
  decoding: 2,
  inferring: 90,
  writing: 3,
  done: 0,
};

export interface JobProgress {
  stage: ProgressStage;
  /** Units done in this stage (bytes while downloading, frames or items while inferring). */
  done: number;
  /** Units in this stage; 0 when unknown. */
  total: number;
  /** Overall, 0..100, whole numbers. */
  percent: number;
}

/** The progress record for `done` of `total` units in `stage`. */
export function progressAt(stage: ProgressStage, done: number, total: number): JobProgress {
  if (stage === 'done') return { stage, done: total, total, percent: 100 };
  let before = 0;
  for (const s of PROGRESS_STAGES) {
    if (s === stage) break;
    before += STAGE_WEIGHT[s];
  }
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  // Never 100 before the job is done: 100 means the result exists.
  const percent = Math.min(99, Math.floor(before + STAGE_WEIGHT[stage] * fraction));
  return { stage, done, total, percent };
}
