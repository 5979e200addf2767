/**
 * @module functions/push/connection-store
 * The push channel's connections and subscriptions in DynamoDB (layout in
 * core/push-config.ts). Every row expires through TTL when API Gateway would have closed the
 * socket anyway, so a lost $disconnect leaves nothing behind for long.
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { CONNECTIONS_TABLE, PUSH } from '../../core/push-config.ts';

const { prefix, metaSortKey, allJobs } = CONNECTIONS_TABLE;

export interface Subscription {
  connectionId: string;
  /** A job id, or `*` for all of the client's jobs. */
  target: string;
}

/** The connections watching one of a client's jobs. */
export type WatchersOf = (jobId: string) => string[];

export interface ConnectionStoreOptions {
  dynamo: DynamoDBDocumentClient;
  table: string;
  now?: () => Date;
}

export class ConnectionStore {
  readonly #dynamo: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => Date;

  constructor(options: ConnectionStoreOptions) {
    this.#dynamo = options.dynamo;
    this.#table = options.table;
    this.#now = options.now ?? (() => new Date());
  }

  #expiresAt(): number {
    return Math.floor(this.#now().getTime() / 1000) + PUSH.connectionTtlSec;
  }

  async addConnection(connectionId: string, clientId: string): Promise<void> {
    await this.#dynamo.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          pk: `${prefix.connection}${connectionId}`,
          sk: metaSortKey,
          clientId,
          expiresAt: this.#expiresAt(),
        },
      }),
    );
  }

  /** The client a connection was opened with; undefined once it is gone. */
  async clientOf(connectionId: string): Promise<string | undefined> {
    const out = await this.#dynamo.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: `${prefix.connection}${connectionId}`, sk: metaSortKey },
      }),
    );
    return out.Item?.clientId as string | undefined;
  }

  async subscribe(connectionId: string, clientId: string, targets: string[]): Promise<void> {
    const expiresAt = this.#expiresAt();
    await this.#batchWrite(
      targets.map((target) => ({
        PutRequest: {
          Item: { pk: `${prefix.client}${clientId}`, sk: `${connectionId}#${target}`, expiresAt },
        },
      })),
    );
  }

  async unsubscribe(connectionId: string, clientId: string, targets: string[]): Promise<void> {
    await this.#batchWrite(
      targets.map((target) => ({
        DeleteRequest: { Key: { pk: `${prefix.client}${clientId}`, sk: `${connectionId}#${target}` } },
      })),
    );
  }

  /** Removes a connection and all of its subscriptions. */
  async removeConnection(connectionId: string, clientId?: string): Promise<void> {
    const owner = clientId ?? (await this.clientOf(connectionId));
    const keys: { pk: string; sk: string }[] = [
      { pk: `${prefix.connection}${connectionId}`, sk: metaSortKey },
    ];
    if (owner) {
      const subs = await this.#query(`${prefix.client}${owner}`, `${connectionId}#`);
      for (const sub of subs)
        keys.push({ pk: `${prefix.client}${owner}`, sk: `${connectionId}#${sub.target}` });
    }
    await this.#batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
  }

  /**
   * All of a client's live subscriptions in one query, as a lookup of the connections watching
   * a job (subscribed to it or to all of the client's jobs, each once). The fan-out reads this
   * once per client per batch, however many of the client's jobs changed.
   */
  async watchersOf(clientId: string): Promise<WatchersOf> {
    const subs = await this.#query(`${prefix.client}${clientId}`);
    const nowSec = Math.floor(this.#now().getTime() / 1000);
    const all = new Set<string>();
    const byJob = new Map<string, Set<string>>();
    for (const sub of subs) {
      // TTL deletion lags by up to days on AWS: expired rows are skipped here.
      if (sub.expiresAt < nowSec) continue;
      if (sub.target === allJobs) all.add(sub.connectionId);
      else byJob.set(sub.target, (byJob.get(sub.target) ?? new Set()).add(sub.connectionId));
    }
    return (jobId) => [...new Set([...all, ...(byJob.get(jobId) ?? [])])];
  }

  async #query(pk: string, skPrefix?: string): Promise<(Subscription & { expiresAt: number })[]> {
    const rows: (Subscription & { expiresAt: number })[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#dynamo.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :sk)' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':sk': skPrefix } : {}) },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        const sk = String(item.sk);
        const cut = sk.indexOf('#');
        rows.push({
          connectionId: sk.slice(0, cut),
          target: sk.slice(cut + 1),
          expiresAt: Number(item.expiresAt ?? 0),
        });
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return rows;
  }

  async #batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + 25);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 5)
          throw new Error(`DynamoDB left ${pending.length} writes unprocessed on ${this.#table}`);
        const out = await this.#dynamo.send(
          new BatchWriteCommand({ RequestItems: { [this.#table]: pending as never } }),
        );
        pending = out.UnprocessedItems?.[this.#table] as Record<string, unknown>[] | undefined;
        if (pending?.length) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }
}
