/**
 * @module test/support/aws-proxy
 * An HTTP proxy in front of the emulator that counts AWS requests by service and operation, so
 * a bench row can say how many S3, SQS and DynamoDB calls a job costs, and can cut one service
 * off (`cut('DynamoDB')`: its requests' connections are reset, as by an unreachable endpoint)
 * while the others still answer, for the outage tests. Clients are pointed at it with
 * AWS_ENDPOINT_URL; the SDK's requests are forwarded unchanged. Hand-written (a few lines of
 * node:http) because the counting needs the X-Amz-Target header and the S3 method/path, which a
 * generic proxy library would hide behind its own hooks anyway.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { awsClient } from '../../core/aws.ts';

/** `ApiGateway`: posts to a WebSocket API's @connections endpoint (the push fan-out's). */
export type Service = 'S3' | 'SQS' | 'DynamoDB' | 'ApiGateway';

export interface CountingProxy {
  url: string;
  /** Requests since the last reset, by service and by "Service Operation". */
  counts(): { byService: Record<Service, number>; byOperation: Record<string, number> };
  reset(): void;
  /** Resets every request to `service` from now on, until restore(). */
  cut(service: Service): void;
  restore(): void;
  close(): Promise<void>;
}

/** The service and operation of one request, from the headers the SDK sends. */
export function classify(method: string, url: string, target: string | undefined): [Service, string] {
  if (target?.startsWith('DynamoDB_')) return ['DynamoDB', target.split('.')[1] ?? 'unknown'];
  if (target?.startsWith('AmazonSQS.')) return ['SQS', target.split('.')[1] ?? 'unknown'];
  const action = /[?&]Action=([A-Za-z]+)/.exec(url)?.[1];
  if (action) return ['SQS', action];
  if (url.includes('/@connections/')) return ['ApiGateway', `${method} @connections`];
  return ['S3', method];
}

/** A proxy in front of the emulator: its URL, and how to stop it. */
export interface ForwardingProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Forwards every request to `endpoint` unchanged, except those `intercept` answers itself (it
 * returns true when it did). The one forwarding loop of the tests' proxies: this file's counting
 * proxy and test/support/push.ts's @connections fault proxy.
 */
export async function startForwardingProxy(
  endpoint: string,
  intercept: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
): Promise<ForwardingProxy> {
  const upstream = new URL(endpoint);
  // No cap: a cap would queue requests behind idle long polls (the fleet row holds hundreds).
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    if (intercept(req, res)) return;
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

export async function startCountingProxy(endpoint: string): Promise<CountingProxy> {
  let byService: Record<Service, number> = { S3: 0, SQS: 0, DynamoDB: 0, ApiGateway: 0 };
  let byOperation: Record<string, number> = {};
  let cut: Service | undefined;
  const proxy = await startForwardingProxy(endpoint, (req) => {
    const target = req.headers['x-amz-target'];
    const [service, operation] = classify(
      req.method ?? 'GET',
      req.url ?? '/',
      typeof target === 'string' ? target : undefined,
    );
    if (service === cut) {
      req.socket.destroy();
      return true;
    }
    byService[service]++;
    const key = `${service} ${operation}`;
    byOperation[key] = (byOperation[key] ?? 0) + 1;
    return false;
  });
  return {
    url: proxy.url,
    counts: () => ({ byService: { ...byService }, byOperation: { ...byOperation } }),
    reset() {
      byService = { S3: 0, SQS: 0, DynamoDB: 0, ApiGateway: 0 };
      byOperation = {};
    },
    cut(service) {
      cut = service;
    },
    restore() {
      cut = undefined;
    },
    close: proxy.close,
  };
}

/**
 * Sends an emulated Lambda function's AWS calls through `proxyUrl`: every variable of its
 * environment that points at the stack's endpoint (`stackEnv`'s AWS_ENDPOINT_URL, and URLs under it such as the push
 * channel's @connections endpoint) points at the proxy instead. A function's own
 * AWS_ENDPOINT_URL wins in MiniStack (docs/platform-notes.md).
 */
export async function routeFunctionThrough(
  stackEnv: Record<string, string>,
  functionName: string,
  proxyUrl: string,
): Promise<void> {
  const endpoint = stackEnv.AWS_ENDPOINT_URL ?? '';
  const lambda = awsClient(LambdaClient, {}, { ...process.env, ...stackEnv });
  try {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const base = endpoint.replace(/\/+$/, '');
    const variables = Object.fromEntries(
      Object.entries(config.Environment?.Variables ?? {}).map(([k, v]) => [
        k,
        v.startsWith(base) ? proxyUrl + v.slice(base.length) : v,
      ]),
    );
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: functionName,
        Environment: { Variables: { ...variables, AWS_ENDPOINT_URL: proxyUrl } },
      }),
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: functionName });
  } finally {
    lambda.destroy();
  }
}
