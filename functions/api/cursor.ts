/**
 * @module functions/api/cursor
 * GET /jobs cursors: `<base64url JSON>.<base64url HMAC-SHA256>`, signed with the deployment's
 * cursor key (an SSM parameter). The JSON holds the client, the status filter and the
 * index position (DynamoDB's LastEvaluatedKey). A cursor that was not signed by this deployment,
 * belongs to another client or another filter, or is malformed in any way, is a 400 naming
 * `cursor`: no client can hand DynamoDB a key of its own making.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { TABLE } from '../../core/config.ts';
import { JobStatus } from '../../core/job.ts';
import { ApiError } from './errors.ts';

const PositionSchema = z.strictObject({
  [TABLE.partitionKey]: z.string().max(64),
  [TABLE.clientIndex.partitionKey]: z.string().max(64),
  [TABLE.clientIndex.sortKey]: z.string().max(64),
});

const CursorSchema = z.strictObject({
  v: z.literal(1),
  client: z.string(),
  status: z.enum(Object.values(JobStatus) as [JobStatus, ...JobStatus[]]).optional(),
  at: PositionSchema,
});

export interface ListPosition {
  client: string;
  status?: JobStatus;
  at: Record<string, string>;
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

export function signCursor(key: Buffer, position: ListPosition): string {
  const payload = Buffer.from(JSON.stringify({ v: 1, ...position })).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/** The index position a cursor holds; 400 unless it is ours, for this client and this filter. */
export function openCursor(
  key: Buffer,
  cursor: string,
  expected: { client: string; status?: JobStatus },
): Record<string, string> {
  const invalid = () => ApiError.invalidField('cursor', 'is not a cursor from a previous GET /jobs response');
  const [payload, signature, ...rest] = cursor.split('.');
  if (!payload || !signature || rest.length > 0) throw invalid();
  const given = Buffer.from(signature, 'base64url');
  const wanted = mac(key, payload);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw invalid();
  let parsed: z.infer<typeof CursorSchema>;
  try {
    parsed = CursorSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw invalid();
  }
  if (parsed.client !== expected.client) throw invalid();
  if (parsed.status !== expected.status) {
    throw ApiError.invalidField(
      'cursor',
      `belongs to a listing ${parsed.status ? `with status=${parsed.status}` : 'over all statuses'}; repeat the same status filter`,
    );
  }
  return parsed.at;
}
