/**
 * @module core/secrets
 * Reads Ferry's secrets from SSM Parameter Store (SecureString; layout in core/config.ts
 * PARAMETERS) with Powertools for AWS Lambda's Parameters utility, which caches each value for
 * `PARAMETERS.cacheSec`: one SSM call per parameter per cold start and minute, not per request.
 * The SSM client is passed in, so it carries the same AWS_ENDPOINT_URL as every other client.
 */

import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClient } from './aws.ts';
import { PARAMETERS } from './config.ts';
import { ConfigError } from './errors.ts';
import { parseSecretList } from './webhook-secret.ts';

export interface SecretStoreOptions {
  /** Parameter path prefix of the deployment, e.g. `/ferry/prod` (FERRY_PARAMETER_PREFIX). */
  prefix: string;
  ssm?: SSMClient;
  /** Cache lifetime, in seconds. @defaultvalue PARAMETERS.cacheSec */
  maxAgeSec?: number;
}

/** A parameter prefix: starts with "/", no trailing "/". */
export const PARAMETER_PREFIX_PATTERN = /^(\/[A-Za-z0-9_.-]+)+$/;

export class SecretStore {
  readonly #provider: SSMProvider;
  readonly #prefix: string;
  readonly #maxAgeSec: number;

  constructor(options: SecretStoreOptions) {
    if (!PARAMETER_PREFIX_PATTERN.test(options.prefix)) {
      throw new ConfigError(`The parameter prefix "${options.prefix}" must look like /ferry/<stage>`);
    }
    this.#provider = new SSMProvider({ awsSdkV3Client: options.ssm ?? awsClient(SSMClient) });
    this.#prefix = options.prefix;
    this.#maxAgeSec = options.maxAgeSec ?? PARAMETERS.cacheSec;
  }

  /**
   * A client's webhook signing secrets, newest first (two during a rotation); undefined when the
   * client has none. Throws ConfigError for a secret no Standard Webhooks library could use.
   */
  async webhookSecrets(clientId: string): Promise<string[] | undefined> {
    const name = PARAMETERS.webhookSecret(this.#prefix, clientId);
    const value = await this.#read(name);
    return value === undefined ? undefined : parseSecretList(value, `Parameter ${name}`);
  }

  /** The key that signs list cursors; throws ConfigError when the parameter is missing. */
  async cursorKey(): Promise<Buffer> {
    const name = PARAMETERS.cursorKey(this.#prefix);
    const value = await this.#read(name);
    if (!value || value.length < 32) {
      throw new ConfigError(`Parameter ${name} must hold at least 32 characters (the cursor signing key)`);
    }
    return Buffer.from(value, 'utf8');
  }

  async #read(name: string): Promise<string | undefined> {
    try {
      return await this.#provider.get(name, { decrypt: true, maxAge: this.#maxAgeSec });
    } catch (error) {
      if (isParameterNotFound(error)) return undefined;
      throw error;
    }
  }
}

function isParameterNotFound(error: unknown): boolean {
  for (let e = error as { name?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.name === 'ParameterNotFound') return true;
  }
  return false;
}
