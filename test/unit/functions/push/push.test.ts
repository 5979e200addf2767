/**
 * The push functions' rules with stubbed stores (the emulator tests in test/integration/functions/push run them for
 * real): which record changes become events, refused handshakes, bad messages and pings, gone
 * connections removed by the fan-out, progress coalesced per job, one subscription read per
 * client, partial batch failures, and a failing or hanging post kept to its own connection.
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
    watchersOf: vi.fn(async (_clientId: string) => (_jobId: string) => ['c1', 'c2']),
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
    log: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
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

  it('accepts a ping without an answer or a table read', async () => {
    const { d, posted, connections } = deps();
    expect(await handleSocket(d, socketEvent('MESSAGE', { body: '{"action":"ping"}' }))).toMatchObject({
      statusCode: 200,
    });
    expect(posted).toEqual([]);
    expect(connections.clientOf).not.toHaveBeenCalled();
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
    const outcome = await fanOut(d, stream);
    expect(outcome).toEqual({
      events: 1,
      coalesced: 0,
      posts: 1,
      gone: 1,
      dropped: 0,
      batchItemFailures: [],
    });
    expect(posted.map(([id]) => id).sort()).toEqual(['c1', 'c2']);
    expect(connections.removeConnection).toHaveBeenCalledWith('c2');
  });

  it('skips, with a warning, a record whose image is not a job, and posts the others', async () => {
    const warn = vi.fn();
    const { d, posted } = deps({ log: { info: vi.fn(), warn } as unknown as PushDeps['log'] });
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

describe('fan-out under load', () => {
  let seq = 0;
  /** A stream record of `job` changing from `before`, with a sequence number of its own. */
  const change = (after: Job, before: Job) => ({
    eventID: `e${++seq}`,
    dynamodb: {
      SequenceNumber: String(seq),
      NewImage: marshall(after, { removeUndefinedValues: true }),
      OldImage: marshall(before, { removeUndefinedValues: true }),
    },
  });
  const batch = (...records: ReturnType<typeof change>[]) =>
    ({ Records: records }) as unknown as DynamoDBStreamEvent;
  const progress = (jobId: string, percent: number, clientId = 'acme') =>
    change(
      { ...job({ jobId, clientId }), progress: { percent } } as Job,
      { ...job({ jobId, clientId }), progress: { percent: percent - 1 } } as Job,
    );
  const status = (jobId: string, to: JobStatus, from: JobStatus, clientId = 'acme') =>
    change(job({ jobId, clientId, status: to }), job({ jobId, clientId, status: from }));

  it("sends only a job's newest progress in a batch, and every status change in order", async () => {
    const { d, posted: seen, connections } = deps();
    connections.watchersOf.mockImplementation(async () => () => ['c1']);
    const stream = batch(
      status('j1', JobStatus.Running, JobStatus.Queued),
      progress('j1', 10),
      progress('j2', 5),
      progress('j1', 20),
      progress('j1', 30),
      status('j1', JobStatus.Succeeded, JobStatus.Running),
    );
    const outcome = await fanOut(d, stream);
    expect(outcome).toMatchObject({ events: 4, coalesced: 2, batchItemFailures: [] });
    expect(
      seen.map(([, m]) => [m.type, 'jobId' in m ? m.jobId : '', 'progress' in m ? m.progress : undefined]),
    ).toEqual([
      ['status', 'j1', undefined],
      ['progress', 'j2', { percent: 5 }],
      ['progress', 'j1', { percent: 30 }],
      ['final', 'j1', undefined],
    ]);
  });

  it("reads each client's subscriptions once per batch, however many of its jobs changed", async () => {
    const { d, connections } = deps();
    await fanOut(
      d,
      batch(
        status('j1', JobStatus.Running, JobStatus.Queued),
        status('j2', JobStatus.Running, JobStatus.Queued),
        status('j3', JobStatus.Running, JobStatus.Queued),
        status('g1', JobStatus.Running, JobStatus.Queued, 'globex'),
      ),
    );
    expect(connections.watchersOf.mock.calls).toEqual([['acme'], ['globex']]);
  });

  it('fails only the records of a client whose subscriptions cannot be read, and serves the others', async () => {
    const { d, posted, connections } = deps();
    const sent: string[] = [];
    connections.watchersOf.mockImplementation(async (clientId: string) => {
      if (clientId === 'globex') throw new Error('ProvisionedThroughputExceededException');
      return () => ['c1'];
    });
    const records = [
      status('j1', JobStatus.Running, JobStatus.Queued),
      progress('g1', 10, 'globex'),
      progress('g1', 20, 'globex'),
      status('j2', JobStatus.Running, JobStatus.Queued),
    ];
    const outcome = await fanOut(
      {
        ...d,
        post: async (_id, m) => {
          sent.push('jobId' in m ? m.jobId : '');
          return 'sent';
        },
      },
      batch(...records),
    );
    expect(posted).toEqual([]);
    expect(sent).toEqual(['j1', 'j2']);
    // Both of globex's records, the coalesced one too, so the retry sends them again.
    expect(outcome.batchItemFailures).toEqual(
      [records[1], records[2]].map((r) => ({ itemIdentifier: r?.dynamodb.SequenceNumber })),
    );
    expect(d.log.error).toHaveBeenCalledWith(
      'cannot read the watchers of a client; its records will be retried',
      expect.objectContaining({ clientId: 'globex', error: expect.any(Error) }),
    );
  });

  it('a throttled, hanging or gone connection fails neither the batch nor the other watchers', async () => {
    const { d, connections } = deps();
    connections.watchersOf.mockImplementation(async () => () => ['throttled', 'hanging', 'gone', 'healthy']);
    connections.removeConnection.mockRejectedValue(new Error('DynamoDB is down'));
    const got = new Map<string, string[]>();
    const post: PushDeps['post'] = async (id, m, signal) => {
      got.set(id, [...(got.get(id) ?? []), 'jobId' in m ? m.status : '']);
      if (id === 'throttled')
        throw Object.assign(new Error('Rate exceeded'), { name: 'LimitExceededException' });
      if (id === 'gone') return 'gone';
      if (id === 'hanging') await new Promise(() => undefined); // ignores the signal too
      expect(signal).toBeInstanceOf(AbortSignal);
      return 'sent';
    };
    const outcome = await fanOut(
      { ...d, post },
      batch(
        status('j1', JobStatus.Running, JobStatus.Queued),
        progress('j1', 50),
        status('j1', JobStatus.Succeeded, JobStatus.Running),
      ),
      { postTimeoutMs: 50 },
    );
    expect(got.get('healthy')).toEqual(['RUNNING', 'RUNNING', 'SUCCEEDED']);
    // One post each: the rest of a failing connection's events in the batch are dropped.
    expect(got.get('throttled')).toEqual(['RUNNING']);
    expect(got.get('hanging')).toEqual(['RUNNING']);
    expect(got.get('gone')).toEqual(['RUNNING']);
    expect(outcome).toMatchObject({ events: 3, posts: 3, gone: 1, dropped: 6, batchItemFailures: [] });
    expect(d.log.warn).toHaveBeenCalledWith(
      'post failed; the connection misses the rest of this batch',
      expect.objectContaining({ connectionId: 'hanging', dropped: 3, error: expect.any(Error) }),
    );
    expect(d.log.warn).toHaveBeenCalledWith(
      'cannot remove a gone connection',
      expect.objectContaining({ connectionId: 'gone' }),
    );
  });
});
