/**
 * @module functions/api/list-jobs
 * `GET /jobs`: newest first, paginated, over one status or over all of them.
 *
 * With `status`, this is one JobStore.list query on the status GSI. Without it, the API merges
 * one query per status (six) by `createdAt`, newest first, and keeps a position per status in
 * the cursor. A job that changes status between two pages may appear on both or on neither
 * (as with any listing keyed by status); a status's position after a partly used page is found
 * by re-reading that prefix, so a job created meanwhile may be listed twice.
 *
 * Cursors are opaque: base64url JSON `{ v: 1, status?, at: { STATUS: storeCursor | null } }`
 * (null: that status is exhausted; absent: not started). A cursor only continues the listing it
 * came from (same `status` filter); anything else is a 400 naming `cursor`.
 */
import { type Job, JobStatus } from '../../core/job.ts';
import { decodeCursor, type JobStore } from '../../core/job-store.ts';
import { ApiError } from './errors.ts';
import type { ListJobsQuery } from './schemas.ts';

const ALL_STATUSES = Object.values(JobStatus);

interface ListCursor {
  v: 1;
  status?: JobStatus;
  at: Partial<Record<JobStatus, string | null>>;
}

export interface ListPage {
  jobs: Job[];
  cursor?: string;
}

export async function listJobPage(jobs: JobStore, query: ListJobsQuery): Promise<ListPage> {
  const positions = query.cursor ? parseListCursor(query.cursor, query.status).at : {};
  const statuses = query.status ? [query.status] : ALL_STATUSES;
  const open = statuses.filter((s) => positions[s] !== null);

  const pages = await Promise.all(
    open.map(async (status) => {
      const from = positions[status] ?? undefined;
      const page = await jobs.list({ status, limit: query.limit, ...(from ? { cursor: from } : {}) });
      return { status, from, page, taken: 0 };
    }),
  );

  // k-way merge, newest first; each status contributes a prefix of its page.
  const merged: Job[] = [];
  while (merged.length < query.limit) {
    // A page that is used up but has more behind it bounds the merge: its next items are unseen.
    if (pages.some((p) => p.taken === p.page.jobs.length && p.page.cursor)) break;
    let best: (typeof pages)[number] | undefined;
    for (const p of pages) {
      const head = p.page.jobs[p.taken];
      const bestHead = best?.page.jobs[best.taken];
      if (head && (!bestHead || head.createdAt > bestHead.createdAt)) best = p;
    }
    if (!best) break;
    merged.push(best.page.jobs[best.taken] as Job);
    best.taken++;
  }

  const next: ListCursor['at'] = { ...positions };
  for (const p of pages) {
    if (p.taken === p.page.jobs.length) {
      next[p.status] = p.page.cursor ?? null;
    } else if (p.taken > 0) {
      // Part of the page was used: ask the store where exactly `taken` items from `from` end.
      const prefix = await jobs.list({
        status: p.status,
        limit: p.taken,
        ...(p.from ? { cursor: p.from } : {}),
      });
      next[p.status] = prefix.cursor ?? null;
    }
  }
  const more = statuses.some((s) => next[s] !== null);
  return {
    jobs: merged,
    ...(more
      ? { cursor: encodeListCursor({ v: 1, ...(query.status ? { status: query.status } : {}), at: next }) }
      : {}),
  };
}

function encodeListCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function parseListCursor(value: string, status: JobStatus | undefined): ListCursor {
  const invalid = () => ApiError.invalidField('cursor', 'is not a cursor from a previous GET /jobs response');
  let parsed: ListCursor;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as ListCursor;
  } catch {
    throw invalid();
  }
  if (parsed?.v !== 1 || typeof parsed.at !== 'object' || parsed.at === null) throw invalid();
  if (parsed.status !== status) {
    throw ApiError.invalidField(
      'cursor',
      `belongs to a listing ${parsed.status ? `with status=${parsed.status}` : 'over all statuses'}; repeat the same status filter`,
    );
  }
  for (const [key, position] of Object.entries(parsed.at)) {
    if (!ALL_STATUSES.includes(key as JobStatus)) throw invalid();
    if (position === null) continue;
    if (typeof position !== 'string') throw invalid();
    try {
      decodeCursor(position);
    } catch {
      throw invalid();
    }
  }
  return parsed;
}
