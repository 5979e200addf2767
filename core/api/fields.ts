/**
 * @module core/api/fields
 * Field schemas more than one answer of the API or the push channel uses: timestamps, a job's
 * status, its error code and its progress.
 */
import { z } from 'zod';
import { JobErrorCode, JobStatus } from '../job.ts';
import { PROGRESS_STAGES } from '../progress.ts';

export const Timestamp = z.string().describe('ISO 8601 UTC');

export const JobStatusSchema = z.enum(JobStatus);

/** Why a job ended FAILED (core/job.ts JobErrorCode). */
export const JobErrorCodeSchema = z.enum(JobErrorCode);

export const JobProgressSchema = z.object({
  stage: z.enum(PROGRESS_STAGES),
  /** Units done in this stage (bytes while downloading, frames or items while inferring). */
  done: z.number(),
  /** Units in this stage; 0 when unknown. */
  total: z.number(),
  /** Overall, 0..100, whole numbers. */
  percent: z.number(),
});
