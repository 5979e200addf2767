/**
 * @module core/parameter-admin
 * Writes Ferry's SSM parameters, for operators (the `ferry clients` commands, local
 * provisioning): a client's webhook secrets and its rotation, and the cursor signing key.
 * Functions never write parameters; they read them through core/secrets.ts.
 */
import { randomBytes } from 'node:crypto';
import {
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { PARAMETERS } from './config.ts';
import { generateWebhookSecret, parseSecretList } from './webhook-secret.ts';

export interface ParameterAdminOptions {
  ssm: SSMClient;
  prefix: string;
}

export class ParameterAdmin {
  readonly #ssm: SSMClient;
  readonly #prefix: string;

  constructor(options: ParameterAdminOptions) {
    this.#ssm = options.ssm;
    this.#prefix = options.prefix;
  }

  /** The client's secrets, newest first; [] when it has none. */
  async webhookSecrets(clientId: string): Promise<string[]> {
    const name = PARAMETERS.webhookSecret(this.#prefix, clientId);
    const value = await this.#get(name);
    return value === undefined ? [] : parseSecretList(value, `Parameter ${name}`);
  }

  /** Sets the client's only secret (a new one unless given); returns it. */
  async setWebhookSecret(clientId: string, secret: string = generateWebhookSecret()): Promise<string> {
    parseSecretList(secret, 'The webhook secret');
    await this.#put(PARAMETERS.webhookSecret(this.#prefix, clientId), secret);
    return secret;
  }

  /**
   * Starts a rotation: a new secret signs alongside the current one (both `v1,` signatures are
   * sent) until finishRotation(). Returns the new secret.
   */
  async rotateWebhookSecret(clientId: string): Promise<string> {
    const [current] = await this.webhookSecrets(clientId);
    const next = generateWebhookSecret();
    await this.#put(PARAMETERS.webhookSecret(this.#prefix, clientId), current ? `${next} ${current}` : next);
    return next;
  }

  /** Ends a rotation: only the newest secret signs from now on (within the functions' cache time). */
  async finishRotation(clientId: string): Promise<void> {
    const [newest] = await this.webhookSecrets(clientId);
    if (newest) await this.#put(PARAMETERS.webhookSecret(this.#prefix, clientId), newest);
  }

  /** Creates the cursor signing key unless it exists. */
  async ensureCursorKey(): Promise<void> {
    const name = PARAMETERS.cursorKey(this.#prefix);
    if ((await this.#get(name)) === undefined) await this.#put(name, randomBytes(32).toString('base64url'));
  }

  async #get(name: string): Promise<string | undefined> {
    try {
      const out = await this.#ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return out.Parameter?.Value;
    } catch (error) {
      if (error instanceof ParameterNotFound || (error as Error).name === 'ParameterNotFound')
        return undefined;
      throw error;
    }
  }

  async #put(name: string, value: string): Promise<void> {
    await this.#ssm.send(
      new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }),
    );
  }
}
