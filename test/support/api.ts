/**
 * Builds API Gateway v2 events and calls the API's Lambda handler with them, for tests that
 * exercise the API without an HTTP server.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';

export interface TestRequest {
  method: string;
  /** Path with an optional query string, e.g. `/jobs?status=QUEUED`. */
  path: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON fields
  json: any;
  text: string;
}

export function apiEvent(request: TestRequest): APIGatewayProxyEventV2 {
  const [rawPath = '/', rawQueryString = ''] = request.path.split('?');
  const headers: Record<string, string> = { host: 'api.test', ...lowerCase(request.headers ?? {}) };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    headers['content-type'] ??= 'application/json';
  }
  const query = new URLSearchParams(rawQueryString);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    ...(rawQueryString ? { queryStringParameters: Object.fromEntries(query) } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'vitest',
      },
      requestId: 'test-request',
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
  };
}

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

/** Calls a Lambda handler with the request as an API Gateway v2 event and decodes the result. */
export async function invoke(handler: Handler, request: TestRequest): Promise<TestResponse> {
  const result = await handler(apiEvent(request));
  if (typeof result === 'string') throw new Error('handler returned a bare string');
  const text = result.body
    ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8').toString()
    : '';
  const headers = lowerCase(
    Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
  );
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: result.statusCode ?? 200, headers, json, text };
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** A request to `handler` as the client holding `key` (Bearer). */
export const callAs = (
  handler: Handler,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<TestResponse> =>
  invoke(handler, { method, path, headers: { authorization: `Bearer ${key}` }, ...(body ? { body } : {}) });

/** A JSON request to a running API server (the local adapter) as the client holding `apiKey`. */
export async function fetchAs(
  apiUrl: string,
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON fields
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
