/**
 * GET /jobs cursors are signed and bound to a client and a status filter: a forged, altered,
 * borrowed or malformed cursor is a 400 naming `cursor`, never a DynamoDB key of the client's making.
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../../../core/job.ts';
import { openCursor, signCursor } from '../../../../functions/api/cursor.ts';
import { ApiError } from '../../../../functions/api/errors.ts';

const KEY = Buffer.alloc(32, 9);
const at = {
  jobId: '11111111-1111-4111-8111-111111111111',
  clientId: 'acme',
  createdAt: '2026-01-01T00:00:00.000Z',
};

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected a refusal');
}

describe('cursor', () => {
  it('round-trips a position for the same client and filter', () => {
    const cursor = signCursor(KEY, { client: 'acme', status: JobStatus.Queued, at });
    expect(openCursor(KEY, cursor, { client: 'acme', status: JobStatus.Queued })).toEqual(at);
  });

  it('refuses another client, another filter, another key', () => {
    const cursor = signCursor(KEY, { client: 'acme', at });
    expect(refusal(() => openCursor(KEY, cursor, { client: 'globex' })).field).toBe('cursor');
    expect(
      refusal(() => openCursor(KEY, cursor, { client: 'acme', status: JobStatus.Failed })).message,
    ).toMatch(/status filter/);
    expect(refusal(() => openCursor(Buffer.alloc(32, 1), cursor, { client: 'acme' })).status).toBe(400);
  });

  it.each([
    ['a forged raw key', Buffer.from('{"jobId":1e400}').toString('base64url')],
    [
      'a forged key with a made-up signature',
      `${Buffer.from('{"v":1,"client":"acme","at":{"jobId":1e400}}').toString('base64url')}.AAAA`,
    ],
    ['an empty payload', '.'],
    ['three parts', 'a.b.c'],
    ['not base64', '%%%.%%%'],
  ])('refuses %s with 400 naming cursor', (_, cursor) => {
    const error = refusal(() => openCursor(KEY, cursor, { client: 'acme' }));
    expect(error.status).toBe(400);
    expect(error.field).toBe('cursor');
  });

  it('refuses a signed cursor whose position is not a key of the client index', () => {
    const cursor = signCursor(KEY, {
      client: 'acme',
      at: { jobId: 1e300 } as unknown as Record<string, string>,
    });
    expect(refusal(() => openCursor(KEY, cursor, { client: 'acme' })).status).toBe(400);
  });
});
