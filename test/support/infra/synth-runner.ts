/**
 * @module test/support/infra/synth-runner
 * Runs inside the bundle synth.ts builds from sst.config.ts (the way the SST CLI builds it), in a
 * child process: installs Pulumi mocks, answers the SST CLI's RPC calls (function builds, bootstrap
 * bucket) with fakes, runs the app's run() and writes every registered resource to a JSON file.
 * Nothing leaves the machine: no AWS credentials, no Pulumi engine, no network.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** The slice of @pulumi/pulumi the runner uses; the bundle injects it as SST's `$util` global. */
interface PulumiUtil {
  runtime: {
    setMocks(mocks: Mocks, project: string, stack: string, preview: boolean): Promise<void>;
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
    waitForRPCs?: () => Promise<void>;
  };
}
declare const $util: PulumiUtil;

interface MockResourceArgs {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
interface MockCallArgs {
  token: string;
  inputs: Record<string, unknown>;
}
interface Mocks {
  newResource(args: MockResourceArgs): { id: string; state: Record<string, unknown> };
  call(args: MockCallArgs): Record<string, unknown>;
}

/** What sst.config.ts default-exports ($config returns its input). */
export interface SstConfig {
  app(input: { stage: string }): Record<string, unknown> | Promise<Record<string, unknown>>;
  run(): Promise<unknown>;
}

/** One registered resource, as the engine would receive it. */
export interface SynthResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** The file the runner writes (FERRY_SYNTH_OUT). */
export interface SynthOutput {
  app: Record<string, unknown>;
  outputs: Record<string, unknown>;
  resources: SynthResource[];
  /** Provider functions the mocks do not model; their callers got their inputs back. */
  unmockedCalls: string[];
  /** SST CLI RPC methods the program called. */
  rpcCalls: string[];
  /** Function builds SST asked the CLI for: the component name and the handler it bundles. */
  builds: Array<{ functionID: string; handler: string; runtime: string }>;
}

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const AMI = 'ami-0123456789abcdef0';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set by test/support/infra/synth.ts`);
  return value;
}

/** Outputs AWS computes, derived from the inputs the way AWS would. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const physical = String(inputs.name ?? inputs.bucket ?? name);
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case 'aws:s3/bucket:Bucket':
      return { bucket: physical, arn: `arn:aws:s3:::${physical}` };
    case 'aws:sqs/queue:Queue':
      return {
        name: physical,
        arn: arn('sqs', physical),
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}`,
      };
    case 'aws:dynamodb/table:Table':
      return { name: physical, arn: arn('dynamodb', `table/${physical}`) };
    case 'aws:lambda/function:Function':
      return {
        name: physical,
        arn: arn('lambda', `function:${physical}`),
        qualifiedArn: arn('lambda', `function:${physical}:$LATEST`),
        invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arn('lambda', `function:${physical}`)}/invocations`,
      };
    case 'aws:ecr/repository:Repository':
      return {
        name: physical,
        arn: arn('ecr', `repository/${physical}`),
        repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${physical}`,
      };
    case 'aws:ecs/cluster:Cluster':
      return { name: physical, arn: arn('ecs', `cluster/${physical}`) };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { name: physical, arn: arn('logs', `log-group:${physical}`) };
    case 'aws:iam/role:Role':
      return { name: physical, arn: `arn:aws:iam::${ACCOUNT}:role/${physical}` };
    case 'aws:ssm/parameter:Parameter':
      return { name: physical, arn: arn('ssm', `parameter/${physical.replace(/^\//, '')}`) };
    case 'aws:apigatewayv2/api:Api':
      return {
        apiEndpoint: `https://${name.toLowerCase()}.execute-api.${REGION}.amazonaws.com`,
        executionArn: arn('execute-api', name.toLowerCase()),
      };
    default:
      return { name: physical, arn: arn('mock', `${type}/${name}`) };
  }
}

/** Renders SST's lower-case statements the way aws.iam.getPolicyDocument does. */
function renderPolicy(inputs: Record<string, unknown>): string {
  const statements = (inputs.statements ?? []) as Array<Record<string, unknown>>;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => ({
      Effect: s.effect ?? 'Allow',
      Action: s.actions,
      Resource: s.resources,
      ...(s.principals ? { Principal: s.principals } : {}),
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

function mocks(resources: SynthResource[], unmocked: Set<string>): Mocks {
  return {
    newResource({ type, name, inputs }) {
      resources.push({ type, name, inputs });
      return { id: `${name}-id`, state: { ...inputs, ...computedState(type, name, inputs) } };
    },
    call({ token, inputs }) {
      switch (token) {
        case 'aws:iam/getPolicyDocument:getPolicyDocument':
          return { ...inputs, id: 'policy', json: renderPolicy(inputs) };
        case 'aws:index/getRegion:getRegion':
          return {
            id: REGION,
            name: REGION,
            region: REGION,
            endpoint: `ec2.${REGION}.amazonaws.com`,
            description: '',
          };
        case 'aws:index/getPartition:getPartition':
          return {
            id: 'aws',
            partition: 'aws',
            dnsSuffix: 'amazonaws.com',
            reverseDnsPrefix: 'com.amazonaws',
          };
        case 'aws:index/getCallerIdentity:getCallerIdentity':
          return { id: ACCOUNT, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci`, userId: 'AIDA' };
        case 'aws:index/getAvailabilityZones:getAvailabilityZones':
          return {
            id: REGION,
            names: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
            zoneIds: ['use1-az1', 'use1-az2', 'use1-az4'],
          };
        case 'aws:ssm/getParameter:getParameter':
          return {
            id: String(inputs.name),
            name: inputs.name,
            type: 'String',
            value: AMI,
            insecureValue: AMI,
          };
        case 'aws:secretsmanager/getRandomPassword:getRandomPassword':
          return { id: 'random', randomPassword: 'ci-random-password-0123456789abcdef0123456789abcdef' };
        case 'aws:ec2/getAmi:getAmi':
          return { id: 'ami-0fcknat000000000', imageId: 'ami-0fcknat000000000', architecture: 'arm64' };
        default:
          unmocked.add(token);
          return { ...inputs };
      }
    },
  };
}

/** Pulumi's marker for a secret value on the wire ({ [SIG_KEY]: SECRET_SIG, value }). */
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

/** Replaces secret wrappers by their values, so tests read inputs as AWS would receive them. */
function reveal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reveal);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (record[SIG_KEY] === SECRET_SIG) return reveal(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, reveal(v)]));
}

type Build = SynthOutput['builds'][number];

/** Starts a fake of the SST CLI's RPC server: builds return a one-file bundle, no deploy-time work. */
async function startFakeCli(work: string, rpcCalls: Set<string>, builds: Build[]): Promise<() => void> {
  const bundle = join(work, 'bundle');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'handler.mjs'), 'export const handler = async () => ({});\n');
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const { method, params } = JSON.parse(body) as {
        method: string;
        params: Array<Record<string, unknown>>;
      };
      rpcCalls.add(method);
      if (method === 'Runtime.Build') {
        const p = params[0] ?? {};
        builds.push({
          functionID: String(p.functionID),
          handler: String(p.handler),
          runtime: String(p.runtime),
        });
      }
      const results: Record<string, unknown> = {
        'Provider.Aws.Bootstrap': {
          asset: 'sst-asset-mock',
          assetEcrRegistryId: ACCOUNT,
          assetEcrUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/sst-asset`,
          state: 'sst-state-mock',
          appsyncHttp: '',
          appsyncRealtime: '',
        },
        'Runtime.Build': { handler: 'handler.handler', out: bundle, errors: [], sourcemaps: [] },
        'Runtime.AddTarget': null,
      };
      const known = method in results;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(known ? { result: results[method] } : { error: `rpc: can't find method ${method}` }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.SST_SERVER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return () => server.close();
}

/** Waits until no resource has been registered for a few ticks (registrations inside applies). */
async function settle(resources: SynthResource[]): Promise<void> {
  let stable = 0;
  let count = -1;
  while (stable < 5) {
    await $util.runtime.waitForRPCs?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    stable = resources.length === count ? stable + 1 : 0;
    count = resources.length;
  }
}

/**
 * The bundle's entry calls this. `$app` and `$cli` are compile-time constants in a real SST build;
 * here they point at globals set below, so app() can be evaluated for the stage first.
 */
export async function synthesize(
  config: SstConfig,
  run: (program: () => Promise<unknown>) => Promise<unknown>,
): Promise<void> {
  const stage = required('FERRY_SYNTH_STAGE');
  const work = required('FERRY_SYNTH_WORK');
  const root = required('FERRY_SYNTH_ROOT');
  const errors: string[] = [];
  process.on('unhandledRejection', (reason) => errors.push(String((reason as Error)?.stack ?? reason)));

  const appConfig = await config.app({ stage });
  const app: Record<string, unknown> = {
    removal: 'retain',
    protect: false,
    providers: {},
    ...appConfig,
    stage,
  };
  const g = globalThis as Record<string, unknown>;
  g.__ferrySynthApp = app;
  g.__ferrySynthCli = {
    command: 'deploy',
    dev: false,
    paths: { home: join(work, 'home'), root, work, platform: join(root, '.sst', 'platform') },
    state: { version: {} },
  };

  const resources: SynthResource[] = [];
  const unmocked = new Set<string>();
  const rpcCalls = new Set<string>();
  const builds: Build[] = [];
  const stopCli = await startFakeCli(work, rpcCalls, builds);
  try {
    await $util.runtime.setMocks(mocks(resources, unmocked), String(app.name), stage, false);
    const outputs = (await $util.runtime.runInPulumiStack(() => run(config.run))) as Record<string, unknown>;
    await settle(resources);
    if (errors.length > 0) throw new Error(`the program failed:\n${errors.join('\n')}`);
    const result: SynthOutput = {
      app,
      outputs: reveal(outputs) as Record<string, unknown>,
      resources: resources.map((r) => ({ ...r, inputs: reveal(r.inputs) as Record<string, unknown> })),
      unmockedCalls: [...unmocked].sort(),
      rpcCalls: [...rpcCalls].sort(),
      builds: [...builds].sort((a, b) => a.functionID.localeCompare(b.functionID)),
    };
    writeFileSync(required('FERRY_SYNTH_OUT'), JSON.stringify(result));
  } finally {
    stopCli();
  }
}
