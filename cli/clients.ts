/**
 * @module cli/clients
 * Operator commands: `ferry clients create|list|rotate-secret` and `ferry keys
 * create|list|revoke`. They talk to DynamoDB (clients table) and SSM (webhook secrets) directly
 * with the operator's AWS credentials, never through the public API. Where the stack is: flags
 * `--clients-table` and `--parameter-prefix`, else FERRY_CLIENTS_TABLE and
 * FERRY_PARAMETER_PREFIX (with the usual AWS_* variables), else `.ferry/outputs.json` of a local
 * stack (its emulator endpoint and test credentials).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type DynamoDBDocumentClient, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsClient, documentClient } from '../core/aws.ts';
import { ClientStore, ClientStoreError } from '../core/client-store.ts';
import { type ClientLimits, clientIdProblem } from '../core/clients.ts';
import { ParameterAdmin } from '../core/parameter-admin.ts';
import { OUTPUTS_FILE } from './config.ts';
import { CliConfigError, ExitCode, UsageError } from './errors.ts';
import type { CliIo } from './io.ts';

export const ADMIN_USAGE = `Usage: ferry clients|keys <command> [options]   (operator commands; AWS credentials)

  clients create <clientId>   Create a client, its webhook secret and a first API key (shown once)
      --name NAME               Display name (default: the id)
      --rate N --burst N        API requests per second and burst (default: deployment's)
      --jobs-per-day N          Jobs per UTC day (default: deployment's)
  clients list                List clients
  clients rotate-secret <clientId> [--finish]
                              Start a webhook secret rotation (both secrets sign until --finish)
  keys create <clientId>      Issue another API key for a client (shown once)
  keys list [<clientId>]      List keys (ids only; keys are stored as hashes)
  keys revoke <keyId>         Revoke a key; refused from the next request on
  keys import <clientId>      Migration: accept an existing key (from FERRY_IMPORT_KEY) for a client
  clients adopt-jobs <clientId> --jobs-table T
                              Migration: give every job without an owner to this client

Options:
  --clients-table NAME        Clients table (or FERRY_CLIENTS_TABLE, or .ferry/outputs.json)
  --parameter-prefix P        SSM parameter prefix, e.g. /ferry/prod (or FERRY_PARAMETER_PREFIX)
  --json                      Print JSON
`;

/** True when argv is an operator command this module runs. */
export function isAdminCommand(argv: readonly string[]): boolean {
  return argv[0] === 'clients' || argv[0] === 'keys';
}

interface Admin {
  clients: ClientStore;
  parameters: ParameterAdmin;
  dynamo: DynamoDBDocumentClient;
}

/** Sets `clientId` on every job that has none (jobs from before clients existed). */
async function adoptJobs(dynamo: DynamoDBDocumentClient, table: string, clientId: string): Promise<number> {
  let adopted = 0;
  const pages = paginateScan(
    { client: dynamo },
    { TableName: table, FilterExpression: 'attribute_not_exists(clientId)', ProjectionExpression: 'jobId' },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      try {
        await dynamo.send(
          new UpdateCommand({
            TableName: table,
            Key: { jobId: item.jobId },
            UpdateExpression: 'SET clientId = :c',
            ConditionExpression: 'attribute_exists(jobId) AND attribute_not_exists(clientId)',
            ExpressionAttributeValues: { ':c': clientId },
          }),
        );
        adopted++;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  }
  return adopted;
}

export async function runAdmin(argv: readonly string[], io: CliIo, admin?: Admin): Promise<ExitCode> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        'jobs-per-day': { type: 'string' },
        finish: { type: 'boolean' },
        'clients-table': { type: 'string' },
        'parameter-prefix': { type: 'string' },
        'jobs-table': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [group, command, arg] = positionals;
    if (values.help || !command) {
      io.stdout.write(ADMIN_USAGE);
      return values.help ? ExitCode.Ok : ExitCode.Usage;
    }
    const a = admin ?? (await adminFor(io, values['clients-table'], values['parameter-prefix']));
    const print = (value: unknown, text: string) =>
      io.stdout.write(`${values.json ? JSON.stringify(value, null, 2) : text}\n`);
    const need = (what: string) => {
      if (!arg) throw new UsageError(`ferry ${group} ${command} needs ${what}`);
      return arg;
    };

    switch (`${group} ${command}`) {
      case 'clients create': {
        const clientId = need('a client id');
        const problem = clientIdProblem(clientId);
        if (problem) throw new UsageError(`The client id "${clientId}" ${problem}`);
        const limits: Partial<ClientLimits> = {
          ...number('--rate', values.rate, 'requestsPerSec'),
          ...number('--burst', values.burst, 'burst'),
          ...number('--jobs-per-day', values['jobs-per-day'], 'jobsPerDay'),
        };
        const client = await a.clients.createClient({
          clientId,
          ...(values.name ? { name: values.name } : {}),
          limits,
        });
        const webhookSecret = await a.parameters.setWebhookSecret(clientId);
        const { key, record } = await a.clients.createKey(clientId);
        print(
          { client, apiKey: key, keyId: record.keyId, webhookSecret },
          [
            `Created client ${clientId}. Shown once; store them now:`,
            `  API key         ${key}   (key id ${record.keyId})`,
            `  webhook secret  ${webhookSecret}`,
          ].join('\n'),
        );
        return ExitCode.Ok;
      }
      case 'clients list': {
        const clients = await a.clients.listClients();
        print(
          clients,
          clients.length === 0
            ? 'No clients.'
            : clients
                .map((c) => `${c.clientId}\t${c.name}\t${c.createdAt}\t${JSON.stringify(c.limits ?? {})}`)
                .join('\n'),
        );
        return ExitCode.Ok;
      }
      case 'clients rotate-secret': {
        const clientId = need('a client id');
        if (!(await a.clients.getClient(clientId)))
          throw new ClientStoreError(`Client ${clientId} does not exist`);
        if (values.finish) {
          await a.parameters.finishRotation(clientId);
          print(
            { clientId, finished: true },
            `Rotation finished: only the newest secret of ${clientId} signs now.`,
          );
          return ExitCode.Ok;
        }
        const secret = await a.parameters.rotateWebhookSecret(clientId);
        print(
          { clientId, webhookSecret: secret },
          `New webhook secret for ${clientId} (shown once): ${secret}\nBoth secrets sign until "ferry clients rotate-secret ${clientId} --finish".`,
        );
        return ExitCode.Ok;
      }
      case 'keys create': {
        const { key, record } = await a.clients.createKey(need('a client id'));
        print(
          { apiKey: key, ...record },
          `API key for ${record.clientId} (shown once): ${key}\nkey id ${record.keyId}`,
        );
        return ExitCode.Ok;
      }
      case 'keys list': {
        const keys = await a.clients.listKeys(arg);
        print(
          keys,
          keys.length === 0
            ? 'No keys.'
            : keys
                .map(
                  (k) =>
                    `${k.keyId}\t${k.clientId}\t${k.createdAt}\t${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}`,
                )
                .join('\n'),
        );
        return ExitCode.Ok;
      }
      case 'keys import': {
        const key = io.env.FERRY_IMPORT_KEY;
        if (!key || key.length < 16) {
          throw new UsageError('Set FERRY_IMPORT_KEY to the existing key (at least 16 characters)');
        }
        const { record } = await a.clients.createKey(need('a client id'), key);
        print(
          record,
          `Imported a key for ${record.clientId} (key id ${record.keyId}); rotate it to a fry_ key soon.`,
        );
        return ExitCode.Ok;
      }
      case 'clients adopt-jobs': {
        const clientId = need('a client id');
        const table = values['jobs-table'] ?? (io.env.FERRY_TABLE || undefined);
        if (!table) throw new UsageError('ferry clients adopt-jobs needs --jobs-table (or FERRY_TABLE)');
        if (!(await a.clients.getClient(clientId)))
          throw new ClientStoreError(`Client ${clientId} does not exist`);
        const adopted = await adoptJobs(a.dynamo, table, clientId);
        print({ clientId, adopted }, `${adopted} jobs without an owner now belong to ${clientId}.`);
        return ExitCode.Ok;
      }
      case 'keys revoke': {
        const record = await a.clients.revokeKey(need('a key id'));
        print(record, `Revoked key ${record.keyId} of ${record.clientId}.`);
        return ExitCode.Ok;
      }
      default:
        throw new UsageError(`Unknown command "ferry ${group} ${command}"`);
    }
  } catch (error) {
    io.stderr.write(`ferry: ${(error as Error).message}\n`);
    if (
      error instanceof UsageError ||
      error instanceof CliConfigError ||
      (error as Error).name === 'TypeError'
    ) {
      return ExitCode.Usage;
    }
    return ExitCode.Failed;
  }
}

function number<K extends keyof ClientLimits>(
  flag: string,
  value: string | undefined,
  field: K,
): Partial<ClientLimits> {
  if (value === undefined) return {};
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number`);
  return { [field]: n };
}

/** Clients for the stack named by flags, environment or the local outputs file. */
async function adminFor(io: CliIo, tableFlag?: string, prefixFlag?: string): Promise<Admin> {
  let table = tableFlag ?? (io.env.FERRY_CLIENTS_TABLE || undefined);
  let prefix = prefixFlag ?? (io.env.FERRY_PARAMETER_PREFIX || undefined);
  let local: { endpoint?: string; region?: string } = {};
  if (!table || !prefix) {
    const file = path.join(io.cwd, OUTPUTS_FILE);
    let outputs: Record<string, unknown>;
    try {
      outputs = JSON.parse(Buffer.from(await io.readFile(file)).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new CliConfigError(
        `No clients table: pass --clients-table and --parameter-prefix, set FERRY_CLIENTS_TABLE and FERRY_PARAMETER_PREFIX, or run "npm start" here (it writes ${OUTPUTS_FILE})`,
      );
    }
    table ??= String(outputs.clientsTable);
    prefix ??= String(outputs.parameterPrefix);
    local = { endpoint: String(outputs.endpoint), region: String(outputs.region) };
  }
  // A local stack's emulator takes any credentials; AWS gets the operator's from the environment.
  const config = local.endpoint
    ? {
        endpoint: local.endpoint,
        region: local.region,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }
    : {};
  const dynamo = documentClient(config);
  return {
    clients: new ClientStore({ dynamo, table }),
    parameters: new ParameterAdmin({ ssm: awsClient(SSMClient, config), prefix }),
    dynamo,
  };
}
