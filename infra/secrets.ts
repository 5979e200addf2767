/**
 * @module infra/secrets
 * The stage's SSM parameters (SecureString, layout in core/config.ts PARAMETERS) under the
 * prefix `/ferry/<stage>`. Functions get only the prefix in their environment and read the
 * parameters at cold start; nothing secret is in any environment variable.
 *
 * The stack creates the cursor signing key once (random, from Secrets Manager's GetRandomPassword;
 * later deploys leave it as it is, so cursors stay valid). Clients'
 * webhook secrets are created by `ferry clients create` and rotated with `ferry clients
 * rotate-secret`, with the operator's credentials; the stack never sees them.
 */
import { PARAMETERS } from '../core/config.ts';

export interface Secrets {
  /** Parameter path prefix, e.g. `/ferry/production` (FERRY_PARAMETER_PREFIX). */
  prefix: string;
  /** ARN of the cursor signing key parameter (read by the API only). */
  cursorKeyArn: $util.Output<string>;
  /** ARN pattern of every client's webhook secret parameter (read by the webhook function only). */
  webhookSecretsArn: $util.Output<string>;
}

/** `arn:<partition>:ssm:<region>:<account>:parameter/<name without its leading slash>`. */
function parameterArn(a: { partition: string; region: string; accountId: string }, name: string): string {
  return `arn:${a.partition}:ssm:${a.region}:${a.accountId}:parameter/${name.replace(/^\//, '')}`;
}

export function createSecrets(stage: string): Secrets {
  const prefix = `/ferry/${stage}`;
  const random = aws.secretsmanager.getRandomPasswordOutput({ passwordLength: 64, excludePunctuation: true });
  const cursorKey = new aws.ssm.Parameter(
    'CursorKeyParameter',
    {
      name: PARAMETERS.cursorKey(prefix),
      type: 'SecureString',
      value: $util.secret(random.randomPassword),
      description: 'Ferry: HMAC key that signs GET /jobs cursors',
    },
    { ignoreChanges: ['value'] },
  );
  const where = $resolve({
    partition: aws.getPartitionOutput().partition,
    region: aws.getRegionOutput().region,
    accountId: aws.getCallerIdentityOutput().accountId,
  });
  return {
    prefix,
    cursorKeyArn: cursorKey.arn,
    webhookSecretsArn: where.apply((w) => parameterArn(w, PARAMETERS.webhookSecretPattern(prefix))),
  };
}
