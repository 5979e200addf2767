/**
 * @module functions/api/list-jobs
 * `GET /jobs`: the caller's jobs, newest first, one query on the client index per page
 * (core/job-store.ts listByClient). `status` filters that page, so a filtered page may hold
 * fewer than `limit` jobs (even none) and still have a `cursor`; the last page has none.
 * Cursors are signed (cursor.ts).
 */
import type { ListJobsQuery } from '../../core/api/jobs.ts';
import type { Job } from '../../core/job.ts';
import type { JobStore } from '../../core/job-store.ts';
import { openCursor, signCursor } from './cursor.ts';

export interface ListPage {
  jobs: Job[];
  cursor?: string;
}

export async function listJobPage(
  jobs: JobStore,
  cursorKey: Buffer,
  clientId: string,
  query: ListJobsQuery,
): Promise<ListPage> {
  const filter = { client: clientId, ...(query.status ? { status: query.status } : {}) };
  const startKey = query.cursor ? openCursor(cursorKey, query.cursor, filter) : undefined;
  const page = await jobs.listByClient({
    clientId,
    limit: query.limit,
    ...(query.status ? { status: query.status } : {}),
    ...(startKey ? { startKey } : {}),
  });
  return {
    jobs: page.jobs,
    ...(page.lastKey ? { cursor: signCursor(cursorKey, { ...filter, at: page.lastKey }) } : {}),
  };
}
