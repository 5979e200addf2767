/**
 * @module core/job-store
 * Every read and status change of a job record. Each change is a conditional write built from
 * the named fragments below, so a duplicate event or message can never move a job backwards or
 * run it twice; a failed condition becomes a JobStateConflictError carrying the job as it is.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TABLE } from './config.ts';
import { JobNotFoundError, JobStateConflictError } from './errors.ts';
import { type Job, type JobErrorCode, JobStatus, type JobTimings, type WebhookDelivery } from './job.ts';
import { expiresAtFor, fromImage, fromItem, toItem } from './job-item.ts';
import type { JobProgress } from './progress.ts';

export interface JobStoreOptions {
  dynamo: DynamoDBDocumentClient;
  table: string;
  /** Injected clock for tests. */
  now?: () => Date;
}

/** Keys one BatchGetItem request may carry (DynamoDB's limit). */
const BATCH_GET_MAX = 100;

/** Fields of an update: `SET name = :name` for each entry. */
type Changes = Record<string, unknown>;

interface Condition {
  expression: string;
  values?: Record<string, unknown>;
  names?: Record<string, string>;
}

// Named condition fragments. Combined with AND; each says one thing about the current item.
const exists: Condition = { expression: 'attribute_exists(jobId)' };
const statusIs = (...statuses: JobStatus[]): Condition => ({
  expression: `#status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`,
  names: { '#status': 'status' },
  values: Object.fromEntries(statuses.map((s, i) => [`:s${i}`, s])),
});
const heldBy = (workerId: string): Condition => ({
  expression: 'workerId = :me',
  values: { ':me': workerId },
});
/** RUNNING, but its worker stopped renewing the lease: the job may be taken over. */
const leaseLapsed = (nowMs: number): Condition => ({
  expression: '(#status = :running AND leaseExpiresAt < :nowMs)',
  names: { '#status': 'status' },
  values: { ':running': JobStatus.Running, ':nowMs': nowMs },
});
/** Nobody holds the right to send the job's message, or the holder claimed it before `staleBeforeMs`. */
const sendClaimFree = (staleBeforeMs: number): Condition => ({
  expression: '(attribute_not_exists(sendClaimedAt) OR sendClaimedAt < :staleBefore)',
  values: { ':staleBefore': staleBeforeMs },
});
const sendClaimHeldBy = (claimId: string): Condition => ({
  expression: 'sendClaimId = :claim',
  values: { ':claim': claimId },
});
/** The record declares no size, or exactly `bytes` (an API upload's declared size). */
const sizeAllows = (bytes: number): Condition => ({
  expression: '(attribute_not_exists(#size) OR #size = :size)',
  names: { '#size': 'size' },
  values: { ':size': bytes },
});
const either = (a: Condition, b: Condition): Condition => ({
  expression: `(${a.expression} OR ${b.expression})`,
  names: { ...a.names, ...b.names },
  values: { ...a.values, ...b.values },
});

export interface ListJobsOptions {
  status: JobStatus;
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface ClientJobsQuery {
  clientId: string;
  /** Only jobs in this status (a filter on the page the index returns). */
  status?: JobStatus;
  limit: number;
  /** LastEvaluatedKey of the previous page, as returned in `lastKey`. */
  startKey?: Record<string, string>;
}

export interface JobPage {
  jobs: Job[];
  cursor?: string;
}

export class JobStore {
  readonly #dynamo: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => Date;

  constructor(options: JobStoreOptions) {
    this.#dynamo = options.dynamo;
    this.#table = options.table;
    this.#now = options.now ?? (() => new Date());
  }

  /** Consistent read; undefined when the job does not exist. */
  async get(jobId: string): Promise<Job | undefined> {
    const out = await this.#dynamo.send(
      new GetCommand({ TableName: this.#table, Key: { jobId }, ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /**
   * The status, key and bucket of each of these jobs that exists (eventually consistent, in
   * BatchGetItem's pages of 100): what the upload sweep needs to tell an orphan from a job.
   */
  async statuses(jobIds: string[]): Promise<Map<string, Pick<Job, 'status' | 'key' | 'bucket'>>> {
    const found = new Map<string, Pick<Job, 'status' | 'key' | 'bucket'>>();
    const unique = [...new Set(jobIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      let keys: Array<Record<string, unknown>> | undefined = unique
        .slice(i, i + BATCH_GET_MAX)
        .map((jobId) => ({ jobId }));
      // Unprocessed keys (throttling, the 16 MB page) come back for another request.
      while (keys?.length) {
        const out: BatchGetCommandOutput = await this.#dynamo.send(
          new BatchGetCommand({
            RequestItems: {
              [this.#table]: {
                Keys: keys,
                ProjectionExpression: 'jobId, #status, #key, #bucket',
                ExpressionAttributeNames: { '#status': 'status', '#key': 'key', '#bucket': 'bucket' },
              },
            },
          }),
        );
        for (const item of out.Responses?.[this.#table] ?? [])
          found.set(String(item.jobId), {
            status: item.status as JobStatus,
            key: String(item.key),
            bucket: String(item.bucket),
          });
        keys = out.UnprocessedKeys?.[this.#table]?.Keys;
      }
    }
    return found;
  }

  async require(jobId: string): Promise<Job> {
    const job = await this.get(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    return job;
  }

  /**
   * Creates the job unless one with its id exists. Returns the stored job and whether this call
   * created it, so a duplicate event sees the first one's record.
   */
  async create(
    fields: Omit<Job, 'createdAt' | 'updatedAt' | 'expiresAt' | 'attempts'>,
    options: { sendClaimId?: string } = {},
  ): Promise<{ job: Job; created: boolean }> {
    const now = this.#now();
    const job: Job = {
      ...fields,
      // A new QUEUED record may carry the right to send its message (see claimSend), saving a write.
      ...(options.sendClaimId ? { sendClaimId: options.sendClaimId, sendClaimedAt: now.getTime() } : {}),
      attempts: 0,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      ...(fields.status === JobStatus.Queued ? { queuedAt: now.toISOString() } : {}),
      expiresAt: expiresAtFor(now),
    };
    try {
      await this.#dynamo.send(
        new PutCommand({
          TableName: this.#table,
          Item: toItem(job),
          ConditionExpression: 'attribute_not_exists(jobId)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { job, created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = error.Item ? fromImage(error.Item) : await this.require(job.jobId);
      return { job: existing, created: false };
    }
  }

  /**
   * AWAITING_UPLOAD -> QUEUED when the API's presigned upload lands at the job's key, if the
   * object is the size the job declared (core/upload-size.ts): a JobStateConflictError otherwise,
   * with the job still AWAITING_UPLOAD. With `sendClaimId` the same write takes the right to
   * send its message (see claimSend).
   */
  markUploaded(
    jobId: string,
    key: string,
    object: Pick<Job, 'size' | 'etag' | 'contentType'>,
    options: { sendClaimId?: string } = {},
  ): Promise<Job> {
    const now = this.#now();
    return this.#update(
      jobId,
      {
        ...object,
        status: JobStatus.Queued,
        queuedAt: now.toISOString(),
        ...(options.sendClaimId ? { sendClaimId: options.sendClaimId, sendClaimedAt: now.getTime() } : {}),
      },
      [
        statusIs(JobStatus.AwaitingUpload),
        { expression: '#key = :key', names: { '#key': 'key' }, values: { ':key': key } },
        ...(object.size === undefined ? [] : [sizeAllows(object.size)]),
      ],
      [JobStatus.AwaitingUpload],
    );
  }

  /**
   * Takes the right to send a QUEUED job's first message: the job has none yet, and nobody holds
   * the right, or the holder's claim is older than `staleMs` (it died). Of concurrent callers
   * exactly one wins; the others get a JobStateConflictError.
   */
  claimSend(jobId: string, claimId: string, staleMs: number): Promise<Job> {
    const now = this.#now().getTime();
    return this.#update(
      jobId,
      { sendClaimId: claimId, sendClaimedAt: now },
      [
        statusIs(JobStatus.Queued),
        { expression: 'attribute_not_exists(messageId)' },
        sendClaimFree(now - staleMs),
      ],
      [JobStatus.Queued],
    );
  }

  /**
   * Takes the right to send a new message for a RUNNING job whose lease lapsed before
   * `lapsedBeforeMs` (its worker died and its message is gone), once per `staleMs`.
   */
  claimResend(jobId: string, claimId: string, lapsedBeforeMs: number, staleMs: number): Promise<Job> {
    const now = this.#now().getTime();
    return this.#update(
      jobId,
      { sendClaimId: claimId, sendClaimedAt: now },
      [leaseLapsed(lapsedBeforeMs), sendClaimFree(now - staleMs)],
      [JobStatus.Running],
    );
  }

  /** Gives the right to send back after a failed send, so a retry may take it at once. */
  releaseSendClaim(jobId: string, claimId: string): Promise<Job> {
    return this.#update(jobId, { sendClaimedAt: 0 }, [sendClaimHeldBy(claimId)], []);
  }

  /** Records the queue message sent under the caller's send claim. */
  recordEnqueued(jobId: string, messageId: string, claimId: string): Promise<Job> {
    return this.#update(jobId, { messageId }, [sendClaimHeldBy(claimId)], [JobStatus.Queued]);
  }

  /**
   * QUEUED -> RUNNING for this worker, or takes over a RUNNING job whose lease lapsed (its worker
   * died). Increments attempts and starts a lease of `leaseMs`.
   */
  claim(jobId: string, workerId: string, leaseMs: number): Promise<Job> {
    const now = this.#now();
    return this.#update(
      jobId,
      {
        status: JobStatus.Running,
        workerId,
        startedAt: now.toISOString(),
        leaseExpiresAt: now.getTime() + leaseMs,
      },
      [either(statusIs(JobStatus.Queued), leaseLapsed(now.getTime()))],
      [JobStatus.Queued, JobStatus.Running],
      'attempts',
    );
  }

  /** Extends this worker's lease; fails if the job was canceled or taken over meanwhile. */
  renewLease(jobId: string, workerId: string, leaseMs: number): Promise<Job> {
    return this.#update(
      jobId,
      { leaseExpiresAt: this.#now().getTime() + leaseMs },
      [statusIs(JobStatus.Running), heldBy(workerId)],
      [JobStatus.Running],
    );
  }

  /** Records a running job's progress; only the worker holding the job may. */
  reportProgress(jobId: string, workerId: string, progress: JobProgress): Promise<Job> {
    return this.#update(
      jobId,
      { progress },
      [statusIs(JobStatus.Running), heldBy(workerId)],
      [JobStatus.Running],
    );
  }

  /** Ends this worker's lease early so another worker may take the job over at once. */
  releaseLease(jobId: string, workerId: string): Promise<Job> {
    return this.#update(
      jobId,
      { leaseExpiresAt: 0 },
      [statusIs(JobStatus.Running), heldBy(workerId)],
      [JobStatus.Running],
    );
  }

  /** RUNNING -> SUCCEEDED, by the worker holding the job. */
  succeed(
    jobId: string,
    workerId: string,
    result: {
      resultKey: string;
      timings: JobTimings;
      executionProvider: string;
      resultKeys?: string[];
      progress?: JobProgress;
    },
  ): Promise<Job> {
    return this.#update(
      jobId,
      { ...result, status: JobStatus.Succeeded, finishedAt: this.#now().toISOString() },
      [statusIs(JobStatus.Running), heldBy(workerId)],
      [JobStatus.Running],
    );
  }

  /**
   * -> FAILED with a sentence the user can act on. With `workerId`, only the worker holding the
   * RUNNING job may fail it; without, any non-final job may be failed (e.g. from the DLQ).
   */
  fail(
    jobId: string,
    failure: { error: string; errorCode: JobErrorCode; timings?: JobTimings; executionProvider?: string },
    workerId?: string,
  ): Promise<Job> {
    const conditions = workerId
      ? [statusIs(JobStatus.Running), heldBy(workerId)]
      : [statusIs(JobStatus.AwaitingUpload, JobStatus.Queued, JobStatus.Running)];
    return this.#update(
      jobId,
      { ...failure, status: JobStatus.Failed, finishedAt: this.#now().toISOString() },
      conditions,
      workerId ? [JobStatus.Running] : [JobStatus.AwaitingUpload, JobStatus.Queued, JobStatus.Running],
    );
  }

  /**
   * AWAITING_UPLOAD -> FAILED: the upload that arrived is refused (not the declared size). Only
   * while no upload was accepted, so a job queued meanwhile by a good upload is left alone.
   */
  refuseUpload(jobId: string, failure: { error: string; errorCode: JobErrorCode }): Promise<Job> {
    return this.#update(
      jobId,
      { ...failure, status: JobStatus.Failed, finishedAt: this.#now().toISOString() },
      [statusIs(JobStatus.AwaitingUpload)],
      [JobStatus.AwaitingUpload],
    );
  }

  /**
   * QUEUED, or RUNNING under a lapsed lease, -> FAILED: for jobs nobody holds (a dead letter, an
   * expired queue wait). A job whose worker still renews its lease is left alone.
   */
  failUnheld(jobId: string, failure: { error: string; errorCode: JobErrorCode }): Promise<Job> {
    const now = this.#now();
    return this.#update(
      jobId,
      { ...failure, status: JobStatus.Failed, finishedAt: now.toISOString() },
      [either(statusIs(JobStatus.Queued), leaseLapsed(now.getTime()))],
      [JobStatus.Queued, JobStatus.Running],
    );
  }

  /** Any non-final state -> CANCELED. A worker running the job sees it at its next heartbeat. */
  cancel(jobId: string): Promise<Job> {
    const open = [JobStatus.AwaitingUpload, JobStatus.Queued, JobStatus.Running];
    return this.#update(
      jobId,
      { status: JobStatus.Canceled, finishedAt: this.#now().toISOString() },
      [statusIs(...open)],
      open,
    );
  }

  /** Stores the outcome of the latest webhook delivery; allowed in any state. */
  recordWebhook(jobId: string, webhook: WebhookDelivery): Promise<Job> {
    return this.#update(jobId, { webhook }, [exists], []);
  }

  /** Jobs in one status, newest first, through the status GSI. */
  async list(options: ListJobsOptions): Promise<JobPage> {
    const out = await this.#dynamo.send(
      this.#statusQuery(options.status, {
        ScanIndexForward: false,
        Limit: options.limit,
        ...(options.cursor ? { ExclusiveStartKey: decodeCursor(options.cursor) } : {}),
      }),
    );
    return {
      jobs: (out.Items ?? []).map(fromItem),
      ...(out.LastEvaluatedKey ? { cursor: encodeCursor(out.LastEvaluatedKey) } : {}),
    };
  }

  /**
   * Marks a FAILED job as retried by `retryJobId` (`ferry retry`). Only once: a second retry of
   * the same job gets JobStateConflictError carrying the job, whose `retriedAs` names the first.
   * The status stays FAILED: final states never change.
   */
  markRetried(jobId: string, retryJobId: string): Promise<Job> {
    return this.#update(
      jobId,
      { retriedAs: retryJobId },
      [statusIs(JobStatus.Failed), { expression: 'attribute_not_exists(retriedAs)' }],
      [JobStatus.Failed],
    );
  }

  /** How many jobs are in `status` (counted through the status GSI, page by page). */
  async countByStatus(status: JobStatus): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#dynamo.send(
        this.#statusQuery(status, { Select: 'COUNT', ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  /** The oldest job in `status` (by creation), or undefined when there is none. */
  async oldest(status: JobStatus): Promise<Job | undefined> {
    const out = await this.#dynamo.send(this.#statusQuery(status, { ScanIndexForward: true, Limit: 1 }));
    const item = out.Items?.[0];
    return item ? fromItem(item) : undefined;
  }

  /**
   * One page of a client's jobs, newest first: one query on the client index. With `status`,
   * the status is a filter, so a page may hold fewer than `limit` jobs yet have a next page.
   */
  async listByClient(query: ClientJobsQuery): Promise<{ jobs: Job[]; lastKey?: Record<string, string> }> {
    const index = TABLE.clientIndex;
    const out = await this.#dynamo.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: index.name,
        KeyConditionExpression: '#client = :client',
        ...(query.status ? { FilterExpression: '#status = :status' } : {}),
        ExpressionAttributeNames: {
          '#client': index.partitionKey,
          ...(query.status ? { '#status': 'status' } : {}),
        },
        ExpressionAttributeValues: {
          ':client': query.clientId,
          ...(query.status ? { ':status': query.status } : {}),
        },
        ScanIndexForward: false,
        Limit: query.limit,
        ...(query.startKey ? { ExclusiveStartKey: query.startKey } : {}),
      }),
    );
    return {
      jobs: (out.Items ?? []).map(fromItem),
      ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey as Record<string, string> } : {}),
    };
  }

  /** A query of the status index for one status; `extra` adds order, paging or counting. */
  #statusQuery(
    status: JobStatus,
    extra: Omit<QueryCommandInput, 'TableName' | 'IndexName' | 'KeyConditionExpression'>,
  ): QueryCommand {
    return new QueryCommand({
      TableName: this.#table,
      IndexName: TABLE.statusIndex.name,
      KeyConditionExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': TABLE.statusIndex.partitionKey },
      ExpressionAttributeValues: { ':status': status },
      ...extra,
    });
  }

  async #update(
    jobId: string,
    changes: Changes,
    conditions: Condition[],
    expected: JobStatus[],
    increment?: string,
  ): Promise<Job> {
    const now = this.#now();
    const all: Changes = { ...changes, updatedAt: now.toISOString(), expiresAt: expiresAtFor(now) };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(all).map(([field, value], i) => {
      names[`#f${i}`] = field;
      values[`:v${i}`] = value;
      return `#f${i} = :v${i}`;
    });
    if (increment) {
      names['#inc'] = increment;
      values[':zero'] = 0;
      values[':one'] = 1;
      sets.push('#inc = if_not_exists(#inc, :zero) + :one');
    }
    const withExists = conditions.includes(exists) ? conditions : [exists, ...conditions];
    for (const c of withExists) {
      Object.assign(names, c.names);
      Object.assign(values, c.values);
    }
    try {
      const out = await this.#dynamo.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { jobId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: withExists.map((c) => c.expression).join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return fromItem(out.Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The document client leaves the error's item in raw AttributeValue form.
      const current = error.Item ? fromImage(error.Item) : undefined;
      if (!current) throw new JobNotFoundError(jobId);
      throw new JobStateConflictError(jobId, expected, current, { cause: error });
    }
  }
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Throws on a cursor that is not one of ours, so the API can answer 400. */
function decodeCursor(cursor: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!parsed || typeof parsed !== 'object' || !('jobId' in parsed)) throw new Error('not a jobs cursor');
  return parsed as Record<string, unknown>;
}
