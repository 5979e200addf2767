/**
 * @module scripts/local/local-client
 * A client on a local stack, with a fresh API key and its webhook signing secret: what
 * `npm start` writes to `.ferry/outputs.json`, and what tests use to act as a client.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClient, documentClient } from '../../core/aws.ts';
import { ClientStore } from '../../core/client-store.ts';
import type { ClientLimits } from '../../core/clients.ts';
import { ParameterAdmin } from '../../core/parameter-admin.ts';
import type { LocalOutputs } from './provision.ts';

export interface LocalClient {
  clientId: string;
  apiKey: string;
  keyId: string;
  /** Newest first. */
  webhookSecret: string;
}

export interface LocalAdmin {
  clients: ClientStore;
  parameters: ParameterAdmin;
}

/** The operator's view of a local stack (test credentials, the emulator's endpoint). */
export function localAdmin(
  outputs: Pick<LocalOutputs, 'endpoint' | 'region' | 'clientsTable' | 'parameterPrefix'>,
): LocalAdmin {
  const config = {
    endpoint: outputs.endpoint,
    region: outputs.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  // No environment (all is in config): the operator's setup calls are never recorded (core/aws-calls.ts).
  const dynamo = documentClient(config, {});
  return {
    clients: new ClientStore({ dynamo, table: outputs.clientsTable }),
    parameters: new ParameterAdmin({
      ssm: awsClient(SSMClient, config, {}),
      prefix: outputs.parameterPrefix,
    }),
  };
}

/**
 * Makes sure the client exists (with `limits` when it is created now) and has a webhook secret,
 * and issues a new API key for it. Existing keys stay valid.
 */
export async function ensureLocalClient(
  outputs: Pick<LocalOutputs, 'endpoint' | 'region' | 'clientsTable' | 'parameterPrefix'>,
  clientId: string,
  limits?: Partial<ClientLimits>,
): Promise<LocalClient> {
  const { clients, parameters } = localAdmin(outputs);
  if (!(await clients.getClient(clientId))) {
    await clients.createClient({ clientId, ...(limits ? { limits } : {}) });
  }
  const [secret] = await parameters.webhookSecrets(clientId);
  const webhookSecret = secret ?? (await parameters.setWebhookSecret(clientId));
  const { key, record } = await clients.createKey(clientId);
  return { clientId, apiKey: key, keyId: record.keyId, webhookSecret };
}
