/**
 * @module cli/progress-bar
 * A running job's progress as the CLI shows it: a bar, the stage and its units, and an ETA from
 * the rate the overall percentage has risen since the CLI first saw the job running.
 */
import type { JobProgress } from '../core/progress.ts';
import { progressBar } from './status-board.ts';

/** `inferring 40/90 (45%)`: units are the stage's own (bytes while downloading, frames while inferring). */
export function describeProgress(progress: JobProgress): string {
  const units = progress.total > 0 ? ` ${progress.done}/${progress.total}` : '';
  return `${progress.stage}${units} (${progress.percent}%)`;
}

/** Estimates time left from the percentages seen so far. One per job followed. */
export class EtaEstimator {
  #first: { at: number; percent: number } | undefined;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Seconds left, once the percentage has moved; undefined before that. */
  update(percent: number): number | undefined {
    const at = this.#now();
    if (!this.#first || percent < this.#first.percent) this.#first = { at, percent };
    const gained = percent - this.#first.percent;
    if (gained <= 0) return undefined;
    return ((at - this.#first.at) / 1000 / gained) * (100 - percent);
  }
}

/** `[########............]  40%  inferring 36/90  ETA 12 s` */
export function progressLine(progress: JobProgress, etaSec: number | undefined): string {
  const units =
    progress.total > 0 ? `  ${progress.stage} ${progress.done}/${progress.total}` : `  ${progress.stage}`;
  const eta = etaSec === undefined ? '' : `  ETA ${formatEta(etaSec)}`;
  return `${progressBar(progress.percent, 100)}${units}${eta}`;
}

function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
