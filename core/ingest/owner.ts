/**
 * @module core/ingest/owner
 * Which client owns a file dropped straight into the bucket (API uploads carry their client on
 * the job the API created). The rule:
 * 1. `uploads/<clientId>/...` where `<clientId>` is an existing client: that client;
 * 2. otherwise the deployment's default client (FERRY_DEFAULT_CLIENT_ID), when set;
 * 3. otherwise nobody: the job runs, but no API key can see it.
 * Writing into the bucket needs IAM rights, so whoever may drop files is trusted to name a client.
 */
import { z } from 'zod';
import type { ClientStore } from '../client-store.ts';
import { isClientId } from '../clients.ts';
import { KEY_PREFIX } from '../config.ts';
import { readEnv } from '../env.ts';

export type OwnerOf = (key: string) => Promise<string | undefined>;

const EnvSchema = z.object({
  FERRY_CLIENTS_TABLE: z.string().min(3, 'must name the clients table').optional(),
  FERRY_DEFAULT_CLIENT_ID: z
    .string()
    .refine(isClientId, 'must be a client id (lowercase letters, digits, dashes)')
    .optional(),
});

export interface OwnerSettings {
  clientsTable?: string;
  defaultClientId?: string;
}

/** Reads the owner rule's settings; throws ConfigError naming a bad variable. */
export function ownerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OwnerSettings {
  const e = readEnv(EnvSchema, env);
  return {
    ...(e.FERRY_CLIENTS_TABLE ? { clientsTable: e.FERRY_CLIENTS_TABLE } : {}),
    ...(e.FERRY_DEFAULT_CLIENT_ID ? { defaultClientId: e.FERRY_DEFAULT_CLIENT_ID } : {}),
  };
}

/** The inverse of ownerSettingsFromEnv (for the default client only): infra/ sets it on the functions that ingest. */
export function defaultClientEnv(defaultClientId: string | undefined): Record<string, string> {
  return defaultClientId ? { FERRY_DEFAULT_CLIENT_ID: defaultClientId } : {};
}

export function ownerResolver(
  clients: Pick<ClientStore, 'getClient'> | undefined,
  defaultClientId?: string,
): OwnerOf {
  return async (key) => {
    const [first, ...rest] = key.slice(KEY_PREFIX.uploads.length).split('/');
    if (clients && first && rest.length > 0 && isClientId(first) && (await clients.getClient(first)))
      return first;
    return defaultClientId;
  };
}
