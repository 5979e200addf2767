/**
 * @module infra/clients
 * The clients table (clients, API key hashes, rate-limit buckets, daily job counters), with the
 * layout of core/config.ts CLIENTS_TABLE. Operators manage it with `ferry clients` / `ferry keys`.
 */
import { CLIENTS_TABLE } from '../core/config.ts';
import type { StorageOptions } from './options.ts';

export function createClientsTable(o: Pick<StorageOptions, 'tableDeletionProtection'>): sst.aws.Dynamo {
  return new sst.aws.Dynamo('ClientsTable', {
    fields: { [CLIENTS_TABLE.partitionKey]: 'string' },
    primaryIndex: { hashKey: CLIENTS_TABLE.partitionKey },
    ttl: CLIENTS_TABLE.ttlAttribute,
    deletionProtection: o.tableDeletionProtection,
  });
}
