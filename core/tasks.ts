/**
 * @module core/tasks
 * What each task is, for every part of Ferry that does not run it: its name, the media it reads
 * and how long a unit of its work takes. The API and ingest choose a job's default task here,
 * the scaling sets its target from the throughput here, and the worker checks its tasks against
 * it at start; none of them imports gpu-worker/. A built-in task's folder
 * (gpu-worker/tasks/<name>/) exports its description from here beside its implementation; a task
 * module listed in FERRY_TASK_MODULES exports its own as `description` (README "Adding a task").
 */
import { z } from 'zod';
import { TASK_NAME } from './config.ts';
import { MEDIA_KINDS, mediaTypeForContentType, mediaTypeForFileName } from './media-types.ts';

/** What one unit of a task's work is: one file (an image), or one second of a video. */
export const TASK_UNITS = ['file', 'video-second'] as const;
export type TaskUnit = (typeof TASK_UNITS)[number];

/** A task's description (see the module header). A per-job parameter schema will join it. */
export const TaskDescriptionSchema = z.object({
  /** The name jobs ask for (API `task` field, `ferry-task` metadata). */
  name: z.string().regex(TASK_NAME, `must match ${TASK_NAME}`),
  /** The kinds of media it reads (core/media-types.ts). */
  accepts: z.array(z.enum(MEDIA_KINDS)).min(1),
  unit: z.enum(TASK_UNITS),
  /**
   * Seconds of one worker's time a unit takes, measured end to end (`npm run bench`); the
   * scaling's default throughput is its inverse.
   */
  secondsPerUnit: z.number().positive(),
});
export type TaskDescription = Readonly<z.infer<typeof TaskDescriptionSchema>>;

/**
 * "ocr": text lines with boxes from an image. 4.28 images/s through the whole pipeline on 2 CPU
 * cores (README Performance), a floor for a GPU worker.
 */
export const OCR_TASK: TaskDescription = {
  name: 'ocr',
  accepts: ['image'],
  unit: 'file',
  secondsPerUnit: 1 / 4.28,
};

/** "video-ocr": a timeline of the text a video shows. Real-time factor 68.2 on 2 CPU cores (README Performance). */
export const VIDEO_OCR_TASK: TaskDescription = {
  name: 'video-ocr',
  accepts: ['video'],
  unit: 'video-second',
  secondsPerUnit: 1 / 68.2,
};

/** In order of preference: the first that reads a kind of media is that kind's default task. */
export const BUILT_IN_TASK_DESCRIPTIONS: readonly TaskDescription[] = [OCR_TASK, VIDEO_OCR_TASK];

/**
 * The task for an input whose client named none: the first built-in task that reads its kind of
 * media, by its content type, else its key's extension; else the image task (a file of unknown
 * type then fails with a reason instead of vanishing).
 */
export function defaultTaskFor(input: {
  contentType?: string | undefined;
  key?: string | undefined;
}): string {
  const kind =
    (input.contentType ? mediaTypeForContentType(input.contentType) : undefined)?.kind ??
    (input.key ? mediaTypeForFileName(input.key) : undefined)?.kind ??
    'image';
  return (BUILT_IN_TASK_DESCRIPTIONS.find((task) => task.accepts.includes(kind)) ?? OCR_TASK).name;
}
