/**
 * @module core/ingest/ingest-deps
 * What ingest needs, built from the environment the same way wherever it runs: the ingest
 * function, and the replay and upload sweep in the reconciler function, the worker and the CLI.
 */
import type { AwsClients } from '../aws.ts';
import { ClientStore } from '../client-store.ts';
import { JobStore } from '../job-store.ts';
import type { Resources } from '../resources.ts';
import type { IngestDeps } from './ingest-object.ts';
import { ownerResolver, ownerSettingsFromEnv } from './owner.ts';

/** Throws ConfigError naming a bad FERRY_CLIENTS_TABLE or FERRY_DEFAULT_CLIENT_ID. */
export function ingestDeps(
  aws: AwsClients,
  resources: Pick<Resources, 'table' | 'queueUrl'>,
  env: NodeJS.ProcessEnv = process.env,
): IngestDeps {
  const owner = ownerSettingsFromEnv(env);
  const clients = owner.clientsTable
    ? new ClientStore({ dynamo: aws.dynamo, table: owner.clientsTable })
    : undefined;
  return {
    s3: aws.s3,
    sqs: aws.sqs,
    jobs: new JobStore({ dynamo: aws.dynamo, table: resources.table }),
    queueUrl: resources.queueUrl,
    ownerOf: ownerResolver(clients, owner.defaultClientId),
  };
}
