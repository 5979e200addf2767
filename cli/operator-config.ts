/**
 * @module cli/operator-config
 * Where the operator commands (`ferry redrive`, `retry`, `stats`) find the AWS resources: they
 * talk to AWS directly with the operator's credentials, not through the public API. FERRY_TABLE,
 * FERRY_QUEUE_URL and FERRY_DLQ_URL (for `redrive --ingest` also FERRY_BUCKET,
 * FERRY_CLIENTS_TABLE and FERRY_INGEST_FAILURES_QUEUE_URL), with AWS_ENDPOINT_URL/AWS_REGION and
 * the usual credentials, win; else the outputs file (`--outputs FILE`, default `.ferry/outputs.json` from `npm start`;
 * `.sst/outputs.json` after a deploy), whose `endpoint` and `region` point at the emulator.
 */
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type AwsClients, awsClient, documentClient } from '../core/aws.ts';
import { JobStore } from '../core/job-store.ts';
import { OUTPUTS_FILE } from './config.ts';
import { CliConfigError } from './errors.ts';

export interface OperatorResources {
  table: string;
  queueUrl: string;
  /** The jobs dead-letter queue; `redrive` and `stats` need it. */
  dlqUrl?: string;
  /** What `redrive --ingest` needs (it ingests as the ingest function does), and `stats` shows. */
  bucket?: string;
  clientsTable?: string;
  ingestFailuresQueueUrl?: string;
  /** Emulator endpoint from the outputs file; AWS otherwise. */
  endpoint?: string;
  region?: string;
}

export interface OperatorClients {
  resources: OperatorResources;
  aws: AwsClients;
  sqs: SQSClient;
  jobs: JobStore;
  /** Closes the clients' sockets so the process can exit. */
  close(): void;
}

export interface OperatorConfigSources {
  outputsFile?: string;
  env: Record<string, string | undefined>;
  cwd: string;
  readText(file: string): Promise<string>;
}

/** Fail fast when AWS (or the emulator) cannot be reached: an operator waits at the terminal. */
const CLIENT_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 30_000 };

export async function resolveOperatorResources(s: OperatorConfigSources): Promise<OperatorResources> {
  const file = path.resolve(s.cwd, s.outputsFile ?? OUTPUTS_FILE);
  const outputs = await readOutputs(file, s);
  const pick = (variable: string, key: string) =>
    s.env[variable] || (typeof outputs[key] === 'string' ? (outputs[key] as string) : undefined);
  const table = pick('FERRY_TABLE', 'table');
  const queueUrl = pick('FERRY_QUEUE_URL', 'queueUrl');
  if (!table || !queueUrl) {
    throw new CliConfigError(
      `No jobs table or queue: set FERRY_TABLE and FERRY_QUEUE_URL, pass --outputs FILE, or run "npm start" here (it writes ${OUTPUTS_FILE})`,
    );
  }
  const dlqUrl = pick('FERRY_DLQ_URL', 'dlqUrl');
  const bucket = pick('FERRY_BUCKET', 'bucket');
  const clientsTable = pick('FERRY_CLIENTS_TABLE', 'clientsTable');
  const ingestFailuresQueueUrl = pick('FERRY_INGEST_FAILURES_QUEUE_URL', 'ingestFailuresQueueUrl');
  // The outputs file's endpoint only when the environment names none (AWS_ENDPOINT_URL wins).
  const endpoint =
    s.env.AWS_ENDPOINT_URL || (typeof outputs.endpoint === 'string' ? outputs.endpoint : undefined);
  const region = s.env.AWS_REGION || (typeof outputs.region === 'string' ? outputs.region : undefined);
  return {
    table,
    queueUrl,
    ...(dlqUrl ? { dlqUrl } : {}),
    ...(bucket ? { bucket } : {}),
    ...(clientsTable ? { clientsTable } : {}),
    ...(ingestFailuresQueueUrl ? { ingestFailuresQueueUrl } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
  };
}

export function operatorClients(
  resources: OperatorResources,
  env: Record<string, string | undefined>,
): OperatorClients {
  // An emulator accepts any credentials; without ones in the environment, use placeholders there.
  const credentials =
    resources.endpoint && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE
      ? { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }
      : {};
  const config = {
    ...(resources.endpoint ? { endpoint: resources.endpoint } : {}),
    ...(resources.region ? { region: resources.region } : {}),
    ...credentials,
    maxAttempts: 2,
    requestHandler: CLIENT_TIMEOUTS,
  };
  const dynamo = documentClient(config, env);
  const sqs = awsClient(SQSClient, config, env);
  const s3 = awsClient(S3Client, config, env);
  return {
    resources,
    aws: { s3, sqs, dynamo },
    sqs,
    jobs: new JobStore({ dynamo, table: resources.table }),
    close: () => {
      sqs.destroy();
      dynamo.destroy();
      s3.destroy();
    },
  };
}

async function readOutputs(file: string, s: OperatorConfigSources): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await s.readText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && s.outputsFile === undefined) return {};
    throw new CliConfigError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CliConfigError(`${file} is not valid JSON`);
  }
}

/** Network failures reaching AWS become a configuration error (exit 2) that names the endpoint. */
export function unreachable(error: unknown, resources: OperatorResources): CliConfigError | undefined {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? e.name;
  const network = [
    'ECONNREFUSED',
    'ECONNRESET',
    'ENOTFOUND',
    'EAI_AGAIN',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'TimeoutError',
    'RequestTimeout',
  ];
  if (!code || !network.includes(code)) return undefined;
  const where = resources.endpoint ?? `AWS${resources.region ? ` (${resources.region})` : ''}`;
  return new CliConfigError(`Cannot reach ${where}: ${code}. Is the emulator running ("npm start")?`, {
    cause: error,
  });
}
