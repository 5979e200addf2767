/**
 * @module core/queue-message
 * The jobs queue message: `{ jobId, bucket, key, task }`, nothing secret. The job record is the
 * source of truth; the message only says which job to look at.
 */
import { z } from 'zod';

export const JobMessageSchema = z.object({
  jobId: z.string().min(1),
  bucket: z.string().min(1),
  key: z.string().min(1),
  task: z.string().min(1),
});
export type JobMessage = z.infer<typeof JobMessageSchema>;

/** Parses a message body; returns undefined for anything that is not a job message. */
export function parseJobMessage(body: string | undefined): JobMessage | undefined {
  try {
    const parsed = JobMessageSchema.safeParse(JSON.parse(body ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
