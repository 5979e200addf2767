/**
 * @module infra/secrets
 * The stage's secrets, set with `npx sst secret set <Name> <value> --stage <stage>`; a deploy
 * without them stops with SST's message naming the missing one.
 */

export interface Secrets {
  /** Comma-separated bearer keys the API accepts (FERRY_API_KEYS). */
  apiKeys: sst.Secret;
  /** Key that signs webhook deliveries (FERRY_WEBHOOK_SECRET). */
  webhookSecret: sst.Secret;
}

export function createSecrets(): Secrets {
  return {
    apiKeys: new sst.Secret('FerryApiKeys'),
    webhookSecret: new sst.Secret('FerryWebhookSecret'),
  };
}
