/** GET /jobs paging logic over a fake in-memory JobStore: merged statuses, cursors, limits. */
import { describe, expect, it } from 'vitest';
import { type Job, JobStatus } from '../../core/job.ts';
import type { JobPage, JobStore, ListJobsOptions } from '../../core/job-store.ts';
import { ApiError } from '../../functions/api/errors.ts';
import { listJobPage } from '../../functions/api/list-jobs.ts';

const STATUSES = Object.values(JobStatus);

/** Jobs with distinct createdAt, statuses spread round-robin; newest has the highest index. */
function jobs(count: number): Job[] {
  return Array.from({ length: count }, (_, i) => ({
    jobId: `job-${String(i).padStart(3, '0')}`,
    status: STATUSES[(i * 7) % STATUSES.length] as JobStatus,
    task: 'ocr',
    bucket: 'b',
    key: `uploads/${i}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    updatedAt: '',
    attempts: 0,
    expiresAt: 0,
  }));
}

/** Mimics the GSI query: one status, newest first, Limit, cursor after the last item returned. */
function fakeStore(all: Job[]): JobStore & { queries: number } {
  const store = {
    queries: 0,
    async list(options: ListJobsOptions): Promise<JobPage> {
      store.queries++;
      const ordered = all
        .filter((j) => j.status === options.status)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      const after = options.cursor
        ? JSON.parse(Buffer.from(options.cursor, 'base64url').toString()).jobId
        : undefined;
      const start = after ? ordered.findIndex((j) => j.jobId === after) + 1 : 0;
      const page = ordered.slice(start, start + options.limit);
      const last = page.at(-1);
      // Like DynamoDB: a full page returns a key even when nothing follows.
      const cursor =
        page.length === options.limit && last
          ? Buffer.from(JSON.stringify({ jobId: last.jobId })).toString('base64url')
          : undefined;
      return { jobs: page, ...(cursor ? { cursor } : {}) };
    },
  };
  return store as unknown as JobStore & { queries: number };
}

async function listAll(
  store: JobStore,
  limit: number,
  status?: JobStatus,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listJobPage(store, {
      limit,
      ...(status ? { status } : {}),
      ...(cursor ? { cursor } : {}),
    });
    expect(page.jobs.length).toBeLessThanOrEqual(limit);
    ids.push(...page.jobs.map((j) => j.jobId));
    cursor = page.cursor;
    pages++;
  } while (cursor && pages < 100);
  return { ids, pages };
}

describe('listJobPage', () => {
  it.each([1, 2, 3, 5, 7, 20])('lists every status merged, newest first, with limit %i', async (limit) => {
    const all = jobs(23);
    const { ids } = await listAll(fakeStore(all), limit);
    expect(ids).toEqual(all.map((j) => j.jobId).reverse());
  });

  it('lists one status through its own query only', async () => {
    const all = jobs(23);
    const store = fakeStore(all);
    const { ids } = await listAll(store, 2, JobStatus.Running);
    expect(ids).toEqual(
      all
        .filter((j) => j.status === JobStatus.Running)
        .map((j) => j.jobId)
        .reverse(),
    );
  });

  it('returns no cursor once every status is exhausted', async () => {
    const page = await listJobPage(fakeStore(jobs(4)), { limit: 10 });
    expect(page.jobs).toHaveLength(4);
    expect(page.cursor).toBeUndefined();
  });

  it('refuses a cursor from another filter, and garbage', async () => {
    const store = fakeStore(jobs(10));
    const first = await listJobPage(store, { limit: 1 });
    await expect(
      listJobPage(store, { limit: 1, status: JobStatus.Queued, cursor: first.cursor as string }),
    ).rejects.toThrow(/over all statuses/);
    for (const cursor of [
      'x',
      Buffer.from('{"v":1,"at":{"NOPE":null}}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ]) {
      await expect(listJobPage(store, { limit: 1, cursor })).rejects.toBeInstanceOf(ApiError);
    }
  });
});
