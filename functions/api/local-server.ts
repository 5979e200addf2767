/**
 * @module functions/api/local-server
 * Serves the API locally: each node:http request becomes an API Gateway v2 (HTTP API, payload
 * 2.0) event for the same `handler` that runs in Lambda, and its result becomes the response.
 * Like API Gateway, bodies over 10 MiB get 413 before the handler runs, and bodies that are not
 * text are passed base64-encoded.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { functionLog } from '../log.ts';
import { handler as apiHandler, loadApi } from './handler.ts';
import { serveWebApp, type WebAppOptions } from './web-files.ts';

export interface LocalApiOptions {
  /** TCP port; 0 picks a free one. @defaultvalue 0 */
  port?: number;
  /** Interface to listen on. @defaultvalue 127.0.0.1 */
  host?: string;
  /** The Lambda handler to call. @defaultvalue functions/api/handler.ts `handler` */
  handler?: (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyResultV2>;
  /** Also serve the web app at `/` (web-files.ts). */
  web?: WebAppOptions;
}

export interface LocalApi {
  /** Base URL, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

/** API Gateway's payload limit. */
const MAX_EVENT_BODY_BYTES = 10 * 1024 * 1024;

const log = functionLog('api-local');

export async function startLocalApi(options: LocalApiOptions = {}): Promise<LocalApi> {
  const host = options.host ?? '127.0.0.1';
  if (!options.handler) loadApi(); // validates the configuration now rather than on the first request
  const handler = options.handler ?? apiHandler;
  const server = http.createServer((req, res) => {
    const web = options.web;
    const answer = async () => {
      if (web && (await serveWebApp(web, req, res))) return;
      await serve(handler, req, res);
    };
    answer().catch((error: unknown) => {
      log.error('local API adapter error', { error });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error' } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function serve(
  handler: NonNullable<LocalApiOptions['handler']>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const body = await readBody(req, MAX_EVENT_BODY_BYTES);
  if (body === undefined) {
    res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large' } }));
    return;
  }
  const result = await handler(toEvent(req, body));
  writeResult(res, result);
}

/** Reads the body; undefined once it exceeds `limit` bytes. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^text\/|[/+](json|xml)\b|^application\/x-www-form-urlencoded/i.test(contentType);
}

/** The API Gateway HTTP API (payload 2.0) event for a request. */
export function toEvent(req: http.IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies.push(...String(value).split(/;\s*/));
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    queryStringParameters[name] =
      name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const method = req.method ?? 'GET';
  const now = new Date();
  const textual = isTextual(headers['content-type']);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

function writeResult(res: http.ServerResponse, result: APIGatewayProxyResultV2): void {
  // A bare value (string or object) means 200 application/json, as in API Gateway.
  if (typeof result === 'string' || result.statusCode === undefined) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(typeof result === 'string' ? result : JSON.stringify(result));
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body = result.body
    ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')
    : Buffer.alloc(0);
  headers['content-length'] = body.length;
  res.writeHead(result.statusCode, headers);
  res.end(body);
}
