/**
 * The push functions' rules with stubbed stores (the emulator tests in test/integration/functions/push run them for
 * real): which record changes become events, refused handshakes, bad messages, and gone
 * connections removed by the fan-out.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { eventFor, type PushMessage } from '../../../../core/api/push-events.ts';
import { type Job, JobStatus } from '../../../../core/job.ts';
import type { PushDeps } from '../../../../functions/push/deps.ts';
import { fanOut } from '../../../../functions/push/fanout.ts';
import { handleSocket, type SocketEvent } from '../../../../functions/push/socket.ts';

const job = (changes: Partial<Job> = {}): Job => ({
  jobId: 'j1',
  status: JobStatus.Running,
  task: 'ocr',
  bucket: 'b',
  key: 'uploads/acme/j1/a.png',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  attempts: 1,
  expiresAt: 1,
  clientId: 'acme',
  ...changes,
});

function deps(overrides: Partial<PushDeps> = {}) {
  const posted: [string, PushMessage][] = [];
  const connections = {
    addConnection: vi.fn(async () => undefined),
    clientOf: vi.fn(async () => 'acme'),
    subscribe: vi.fn(async () => undefined),
    unsubscribe: vi.fn(async () => undefined),
    removeConnection: vi.fn(async () => undefined),
    watchersOf: vi.fn(async () => ['c1', 'c2']),
  };
  const d = {
    jobs: { get: vi.fn(async () => undefined) },
    clients: {
      authenticate: vi.fn(async (key: string) =>
        key === 'good' ? { client: { clientId: 'acme' } } : undefined,
      ),
    },
    connections,
    post: vi.fn(async (id: string, m: PushMessage) => {
      posted.push([id, m]);
      return id === 'c2' ? ('gone' as const) : ('sent' as const);
    }),
    logger: { info: vi.fn() },
    ...overrides,
  } as unknown as PushDeps;
  return { d, posted, connections };
}

const socketEvent = (eventType: string, extra: Partial<SocketEvent> = {}) =>
  ({ requestContext: { connectionId: 'c1', eventType }, ...extra }) as unknown as SocketEvent;

describe('eventFor', () => {
  it('turns status and progress changes into events, and ignores heartbeats', () => {
    const before = job();
    expect(eventFor(job({ leaseExpiresAt: 5 }), before)).toBeUndefined();
    expect(eventFor(job({ status: JobStatus.Succeeded, resultKey: 'r' }), before)).toMatchObject({
      type: 'final',
      resultKey: 'r',
    });
    expect(eventFor({ ...job(), progress: { percent: 50 } } as Job, before)).toMatchObject({
      type: 'progress',
      progress: { percent: 50 },
    });
    expect(
      eventFor(
        job({ webhook: { status: 'delivered', attempts: 1, at: 'x' } }),
        job({ status: JobStatus.Failed }),
      ),
    ).toBeUndefined();
  });
});

describe('socket routes', () => {
  it('refuses a handshake without a key (401) or with an unknown one (403)', async () => {
    const { d, connections } = deps();
    expect(await handleSocket(d, socketEvent('CONNECT'))).toMatchObject({ statusCode: 401 });
    expect(
      await handleSocket(d, socketEvent('CONNECT', { queryStringParameters: { key: 'bad' } })),
    ).toMatchObject({
      statusCode: 403,
    });
    expect(connections.addConnection).not.toHaveBeenCalled();
    expect(
      await handleSocket(d, socketEvent('CONNECT', { headers: { Authorization: 'Bearer good' } })),
    ).toMatchObject({ statusCode: 200 });
  });

  it('answers a message that is not JSON, or not a valid request, with an error', async () => {
    const { d, posted } = deps();
    await handleSocket(d, socketEvent('MESSAGE', { body: 'nope' }));
    await handleSocket(d, socketEvent('MESSAGE', { body: '{"action":"dance"}' }));
    expect(posted.map(([, m]) => m)).toMatchObject([{ type: 'error' }, { type: 'error', message: /action/ }]);
  });
});

describe('fan-out', () => {
  it('posts each change to every watcher and removes a gone connection', async () => {
    const { d, posted, connections } = deps();
    const record = (newImage: Job, oldImage?: Job) => ({
      dynamodb: {
        NewImage: marshall(newImage, { removeUndefinedValues: true }),
        ...(oldImage ? { OldImage: marshall(oldImage, { removeUndefinedValues: true }) } : {}),
      },
    });
    const stream = {
      Records: [
        record(job({ status: JobStatus.Running }), job({ status: JobStatus.Queued })),
        record(job({ leaseExpiresAt: 9 }), job()),
        record(job({ clientId: undefined, status: JobStatus.Failed }), job({ clientId: undefined })),
      ],
    } as unknown as DynamoDBStreamEvent;
    const summary = await fanOut(d, stream);
    expect(summary).toEqual({ events: 1, posts: 1, gone: 1 });
    expect(posted.map(([id]) => id).sort()).toEqual(['c1', 'c2']);
    expect(connections.removeConnection).toHaveBeenCalledWith('c2');
  });

  it('skips, with a warning, a record whose image is not a job, and posts the others', async () => {
    const warn = vi.fn();
    const { d, posted } = deps({ logger: { info: vi.fn(), warn } as unknown as PushDeps['logger'] });
    const image = (item: object) => marshall(item, { removeUndefinedValues: true });
    const stream = {
      Records: [
        {
          eventID: 'e1',
          dynamodb: { NewImage: image({ ...job(), status: 'LOST' }), OldImage: image(job()) },
        },
        {
          eventID: 'e2',
          dynamodb: { NewImage: image(job({ status: JobStatus.Succeeded })), OldImage: image(job()) },
        },
      ],
    } as unknown as DynamoDBStreamEvent;
    expect(await fanOut(d, stream)).toMatchObject({ events: 1 });
    expect(posted.map(([, m]) => m)).toMatchObject([{ type: 'final' }, { type: 'final' }]);
    expect(warn).toHaveBeenCalledWith(
      'skipped a stream record that is not a job',
      expect.objectContaining({ eventId: 'e1' }),
    );
  });
});
