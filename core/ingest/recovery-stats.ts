/**
 * @module core/ingest/recovery-stats
 * What ingest recovery did, kept on one item of the clients table (`ops#ingest-recovery`) so
 * `ferry stats` can show it and every worker and the reconciler function add to the same
 * counts; and the claim that lets only one of them list the bucket per sweep period.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CLIENTS_TABLE } from '../config.ts';

const PK = `${CLIENTS_TABLE.prefix.ops}ingest-recovery`;

export interface IngestRecoveryCounts {
  /** Failed S3 events replayed into jobs, ever. */
  replayed: number;
  /** Replays that failed again (each try counted). */
  replayFailures: number;
  /** Uploads found without a job by the upload sweep, and ingested. */
  orphans: number;
  /** When the upload sweep last ran (ISO 8601). */
  lastSweepAt?: string;
}

export class IngestRecoveryStats {
  readonly #dynamo: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { dynamo: DynamoDBDocumentClient; table: string }) {
    this.#dynamo = options.dynamo;
    this.#table = options.table;
  }

  /**
   * Takes this period's upload sweep: true for exactly one caller per `periodSec`, however many
   * workers and function invocations ask at once.
   */
  async claimSweep(periodSec: number, now = new Date()): Promise<boolean> {
    try {
      await this.#dynamo.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: PK },
          UpdateExpression: 'SET sweepAt = :now, lastSweepAt = :iso',
          ConditionExpression: 'attribute_not_exists(sweepAt) OR sweepAt <= :due',
          ExpressionAttributeValues: {
            ':now': now.getTime(),
            ':iso': now.toISOString(),
            ':due': now.getTime() - periodSec * 1000,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async add(counts: Omit<IngestRecoveryCounts, 'lastSweepAt'>): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n > 0);
    if (entries.length === 0) return;
    await this.#dynamo.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: PK },
        UpdateExpression: `ADD ${entries.map(([name]) => `${name} :${name}`).join(', ')}`,
        ExpressionAttributeValues: Object.fromEntries(entries.map(([name, n]) => [`:${name}`, n])),
      }),
    );
  }

  async read(): Promise<IngestRecoveryCounts> {
    const out = await this.#dynamo.send(new GetCommand({ TableName: this.#table, Key: { pk: PK } }));
    const item = out.Item ?? {};
    return {
      replayed: Number(item.replayed ?? 0),
      replayFailures: Number(item.replayFailures ?? 0),
      orphans: Number(item.orphans ?? 0),
      ...(item.lastSweepAt ? { lastSweepAt: String(item.lastSweepAt) } : {}),
    };
  }
}
