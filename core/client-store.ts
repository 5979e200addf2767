/**
 * @module core/client-store
 * The clients table (layout in core/config.ts CLIENTS_TABLE): clients, their API key hashes,
 * the per-client token bucket and daily job counters.
 *
 * Every read the API makes per request is a consistent GetItem and nothing is cached, so a
 * revoked key is refused from the very next request. The token bucket lives on the client's
 * item and is updated with a condition on the time it was last read (optimistic concurrency),
 * so concurrent Lambda instances share one bucket without a lock.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  type ApiKeyRecord,
  type Client,
  type ClientLimits,
  clientIdProblem,
  generateApiKey,
  hashApiKey,
  keyIdOf,
} from './clients.ts';
import { CLIENT_LIMITS, CLIENTS_TABLE } from './config.ts';
import { FerryError } from './errors.ts';

const { client: CLIENT, key: KEY, day: DAY } = CLIENTS_TABLE.prefix;

/** A client or key the operation needs does not exist, or a client id is taken. */
export class ClientStoreError extends FerryError {
  override readonly name = 'ClientStoreError';
  readonly code = 'CLIENT_STORE';
}

/** Whether a limited action may go ahead; when not, after how many seconds to try again. */
export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSec: number; reason: string };

export interface ClientStoreOptions {
  dynamo: DynamoDBDocumentClient;
  table: string;
  /** Limits of clients that set none of their own. @defaultvalue CLIENT_LIMITS */
  defaults?: ClientLimits;
  now?: () => Date;
}

interface ClientItem extends Client {
  pk: string;
  /** Token bucket: tokens left at `tokensAt` (epoch ms). */
  tokens?: number;
  tokensAt?: number;
}

/** A client as authenticate() returns it: with its effective limits and its bucket as read. */
export interface Principal {
  client: Client;
  limits: ClientLimits;
  bucket: { tokens?: number; tokensAt?: number };
}

const BUCKET_RETRIES = 5;

export class ClientStore {
  readonly #dynamo: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #defaults: ClientLimits;
  readonly #now: () => Date;

  constructor(options: ClientStoreOptions) {
    this.#dynamo = options.dynamo;
    this.#table = options.table;
    this.#defaults = options.defaults ?? CLIENT_LIMITS;
    this.#now = options.now ?? (() => new Date());
  }

  async createClient(client: { clientId: string; name?: string; limits?: Partial<ClientLimits> }) {
    const problem = clientIdProblem(client.clientId);
    if (problem) throw new ClientStoreError(`Client id "${client.clientId}" ${problem}`);
    const record: Client = {
      clientId: client.clientId,
      name: client.name ?? client.clientId,
      createdAt: this.#now().toISOString(),
      ...(client.limits && Object.keys(client.limits).length > 0 ? { limits: client.limits } : {}),
    };
    try {
      await this.#dynamo.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: CLIENT + record.clientId, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ClientStoreError(`Client ${record.clientId} already exists`, { cause: error });
      }
      throw error;
    }
    return record;
  }

  async getClient(clientId: string): Promise<Client | undefined> {
    const item = await this.#get(CLIENT + clientId);
    return item ? toClient(item as unknown as ClientItem) : undefined;
  }

  /** Every client (an operator's command: a scan of a small table). */
  async listClients(): Promise<Client[]> {
    const items = await this.#scan(CLIENT);
    return items
      .map((i) => toClient(i as unknown as ClientItem))
      .sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  /** Issues a key for an existing client; the key is returned once and stored only as a hash. */
  async createKey(
    clientId: string,
    key: string = generateApiKey(),
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!(await this.getClient(clientId))) throw new ClientStoreError(`Client ${clientId} does not exist`);
    const hash = hashApiKey(key);
    const record: ApiKeyRecord = { keyId: keyIdOf(hash), clientId, createdAt: this.#now().toISOString() };
    await this.#dynamo.send(
      new PutCommand({
        TableName: this.#table,
        Item: { pk: KEY + hash, ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { key, record };
  }

  /** Keys of one client, or of all clients. */
  async listKeys(clientId?: string): Promise<ApiKeyRecord[]> {
    const items = (await this.#scan(KEY)).map((i) => toKeyRecord(i));
    return items
      .filter((k) => !clientId || k.clientId === clientId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes a key by its id; effective for the next request (nothing caches keys). */
  async revokeKey(keyId: string): Promise<ApiKeyRecord> {
    if (!/^[0-9a-f]{16}$/.test(keyId))
      throw new ClientStoreError(`"${keyId}" is not a key id (16 hex digits)`);
    const items = await this.#scan(KEY + keyId);
    const item = items[0];
    if (!item) throw new ClientStoreError(`No key with id ${keyId}`);
    const out = await this.#dynamo.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: item.pk },
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        ExpressionAttributeValues: { ':now': this.#now().toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toKeyRecord(out.Attributes ?? item);
  }

  /** The client a presented key belongs to; undefined for an unknown or revoked key. */
  async authenticate(presentedKey: string): Promise<Principal | undefined> {
    const key = await this.#get(KEY + hashApiKey(presentedKey));
    if (!key || key.revokedAt) return undefined;
    const item = (await this.#get(CLIENT + String(key.clientId))) as unknown as ClientItem | undefined;
    if (!item) return undefined;
    return {
      client: toClient(item),
      limits: { ...this.#defaults, ...item.limits },
      bucket: {
        ...(item.tokens !== undefined ? { tokens: item.tokens } : {}),
        ...(item.tokensAt !== undefined ? { tokensAt: item.tokensAt } : {}),
      },
    };
  }

  /**
   * Takes one request token from the client's bucket (capacity `burst`, refilled at
   * `requestsPerSec`). Starts from the bucket as authenticate() read it; a concurrent update
   * makes the conditional write fail, and the bucket is re-read from the failure's old item.
   */
  async takeRequestToken(principal: Principal): Promise<LimitDecision> {
    const { requestsPerSec: rate, burst } = principal.limits;
    let seen = principal.bucket;
    for (let attempt = 0; attempt < BUCKET_RETRIES; attempt++) {
      const nowMs = this.#now().getTime();
      const elapsedSec = seen.tokensAt === undefined ? 0 : Math.max(0, nowMs - seen.tokensAt) / 1000;
      const available = Math.min(burst, (seen.tokens ?? burst) + elapsedSec * rate);
      if (available < 1) {
        return {
          allowed: false,
          retryAfterSec: Math.max(1, Math.ceil((1 - available) / rate)),
          reason: `more than ${rate} requests per second (burst ${burst})`,
        };
      }
      try {
        await this.#dynamo.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: { pk: CLIENT + principal.client.clientId },
            UpdateExpression: 'SET tokens = :tokens, tokensAt = :now',
            ConditionExpression:
              seen.tokensAt === undefined
                ? 'attribute_exists(pk) AND attribute_not_exists(tokensAt)'
                : 'tokensAt = :seen',
            ExpressionAttributeValues: {
              ':tokens': available - 1,
              ':now': nowMs,
              ...(seen.tokensAt === undefined ? {} : { ':seen': seen.tokensAt }),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { allowed: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const current = error.Item ? (unmarshall(error.Item) as ClientItem) : undefined;
        if (!current) throw new ClientStoreError(`Client ${principal.client.clientId} no longer exists`);
        seen = {
          ...(current.tokens !== undefined ? { tokens: current.tokens } : {}),
          ...(current.tokensAt !== undefined ? { tokensAt: current.tokensAt } : {}),
        };
      }
    }
    // Lost every race: the bucket is being drained by others right now.
    return { allowed: false, retryAfterSec: 1, reason: 'too many concurrent requests' };
  }

  /** Counts one new job against the client's daily quota (UTC days); refuses once it is reached. */
  async countJob(principal: Principal): Promise<LimitDecision> {
    const now = this.#now();
    const day = now.toISOString().slice(0, 10);
    const max = principal.limits.jobsPerDay;
    const endOfDay = Date.parse(`${day}T00:00:00Z`) + 24 * 3600 * 1000;
    try {
      await this.#dynamo.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: `${DAY}${principal.client.clientId}#${day}` },
          UpdateExpression: 'ADD jobs :one SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(jobs) OR jobs < :max',
          ExpressionAttributeValues: {
            ':one': 1,
            ':max': max,
            ':expires': Math.floor(endOfDay / 1000) + 86_400,
          },
        }),
      );
      return { allowed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return {
        allowed: false,
        retryAfterSec: Math.max(1, Math.ceil((endOfDay - now.getTime()) / 1000)),
        reason: `the daily quota of ${max} jobs is used up`,
      };
    }
  }

  async #get(pk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.#dynamo.send(
      new GetCommand({ TableName: this.#table, Key: { pk }, ConsistentRead: true }),
    );
    return out.Item;
  }

  async #scan(prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateScan(
      { client: this.#dynamo },
      {
        TableName: this.#table,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': prefix },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  }
}

function toClient(item: ClientItem): Client {
  return {
    clientId: item.clientId,
    name: item.name,
    createdAt: item.createdAt,
    ...(item.limits ? { limits: item.limits } : {}),
  };
}

function toKeyRecord(item: Record<string, unknown>): ApiKeyRecord {
  return {
    keyId: String(item.keyId),
    clientId: String(item.clientId),
    createdAt: String(item.createdAt),
    ...(item.revokedAt ? { revokedAt: String(item.revokedAt) } : {}),
  };
}
