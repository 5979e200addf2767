/**
 * @module infra/functions
 * What the three Lambda functions share: runtime, architecture, log retention and format, and
 * a role that only Lambda may assume.
 */
import { type ResourceNames, resourcesToEnv } from '../core/resources.ts';
import { assumeRolePolicy } from './iam.ts';
import { type FunctionsOptions, sstRetention } from './options.ts';
import type { Queues } from './queues.ts';
import type { Storage } from './storage.ts';

/**
 * The resource variables core/resources.ts requires of every function (bucket, table, jobs
 * queue), whether or not the function itself uses all three, plus the optional ones it names.
 */
export function resourceEnvironment(
  storage: Storage,
  queues: Queues,
  optional: Omit<ResourceNames<$util.Input<string>>, 'bucket' | 'table' | 'queueUrl'> = {},
): Record<string, $util.Input<string>> {
  return resourcesToEnv({
    bucket: storage.bucket.name,
    table: storage.table.name,
    queueUrl: queues.jobs.url,
    ...optional,
  });
}

/**
 * The function's own args over the shared ones. On deployed stages the role's trust policy is
 * replaced: SST 4.17 always adds the account root as a principal (its dev-mode check tests an
 * Output, which is always truthy), which would let any IAM user of the account with
 * sts:AssumeRole use the function's permissions. `sst dev` keeps SST's policy, which it needs.
 */
export function functionArgs(shared: FunctionsOptions, args: sst.aws.FunctionArgs): sst.aws.FunctionArgs {
  return {
    runtime: shared.runtime,
    architecture: shared.architecture,
    logging: { retention: sstRetention(shared.logRetentionDays), format: 'json' },
    ...args,
    transform: {
      ...args.transform,
      ...($dev ? {} : { role: { assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com') } }),
    },
  };
}
