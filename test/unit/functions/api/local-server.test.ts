/**
 * The local HTTP adapter: node requests become API Gateway v2 events for the Lambda handler,
 * and its results become responses.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalApi, startLocalApi } from '../../../../functions/api/local-server.ts';

let api: LocalApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function withHandler(result: (event: APIGatewayProxyEventV2) => APIGatewayProxyResultV2) {
  const events: APIGatewayProxyEventV2[] = [];
  api = await startLocalApi({
    port: 0,
    handler: async (event) => {
      events.push(event);
      return result(event);
    },
  });
  return { api, events };
}

describe('startLocalApi', () => {
  it('listens on 127.0.0.1 on a free port', async () => {
    const { api } = await withHandler(() => ({ statusCode: 204 }));
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${api.url}/`)).status).toBe(204);
  });

  it('turns a request into a payload 2.0 event', async () => {
    const { api, events } = await withHandler(() => ({ statusCode: 200, body: '{}' }));
    await fetch(`${api.url}/jobs/a%20b?status=QUEUED&x=1&x=2`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json', cookie: 'a=1; b=2' },
      body: '{"hello":"wörld"}',
    });
    const event = events[0] as APIGatewayProxyEventV2;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/jobs/a%20b',
      rawQueryString: 'status=QUEUED&x=1&x=2',
      queryStringParameters: { status: 'QUEUED', x: '1,2' },
      cookies: ['a=1', 'b=2'],
      body: '{"hello":"wörld"}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/jobs/a%20b' }, stage: '$default' },
    });
    expect(event.headers.authorization).toBe('Bearer k');
    expect(event.headers.cookie).toBeUndefined();
  });

  it('passes binary bodies base64-encoded', async () => {
    const { api, events } = await withHandler(() => ({ statusCode: 200 }));
    const bytes = Buffer.from([0, 255, 1, 254]);
    await fetch(`${api.url}/x`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes });
    expect(events[0]?.isBase64Encoded).toBe(true);
    expect(Buffer.from(events[0]?.body ?? '', 'base64')).toEqual(bytes);
  });

  it('writes status, headers, cookies and base64 bodies back', async () => {
    const { api } = await withHandler(() => ({
      statusCode: 201,
      headers: { 'content-type': 'application/octet-stream', 'x-test': 'yes' },
      cookies: ['c=3'],
      body: Buffer.from('binary!').toString('base64'),
      isBase64Encoded: true,
    }));
    const res = await fetch(`${api.url}/`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-test')).toBe('yes');
    expect(res.headers.get('set-cookie')).toBe('c=3');
    expect(await res.text()).toBe('binary!');
  });

  it("answers 413 above API Gateway's 10 MiB without calling the handler", async () => {
    const { api, events } = await withHandler(() => ({ statusCode: 200 }));
    const res = await fetch(`${api.url}/uploads`, {
      method: 'POST',
      body: Buffer.alloc(10 * 1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
    expect(events).toHaveLength(0);
  });
});
