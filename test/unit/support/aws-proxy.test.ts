import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, startCountingProxy } from '../../support/aws-proxy.ts';

let upstream: http.Server;
let endpoint: string;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

describe('counting proxy', () => {
  it('tells the services apart the way the SDK calls them', () => {
    expect(classify('POST', '/', 'DynamoDB_20120810.UpdateItem')).toEqual(['DynamoDB', 'UpdateItem']);
    expect(classify('POST', '/', 'AmazonSQS.ReceiveMessage')).toEqual(['SQS', 'ReceiveMessage']);
    expect(classify('POST', '/?Action=SendMessage', undefined)).toEqual(['SQS', 'SendMessage']);
    expect(classify('PUT', '/bucket/key', undefined)).toEqual(['S3', 'PUT']);
    expect(classify('POST', '/_aws/execute-api/abc/live/@connections/Zm9v', undefined)).toEqual([
      'ApiGateway',
      'POST @connections',
    ]);
  });

  it('forwards requests unchanged and counts them', async () => {
    const proxy = await startCountingProxy(endpoint);
    try {
      const res = await fetch(`${proxy.url}/bucket/a.json`, { method: 'PUT', body: 'x' });
      expect(await res.text()).toBe('PUT /bucket/a.json');
      await fetch(`${proxy.url}/`, {
        method: 'POST',
        headers: { 'x-amz-target': 'AmazonSQS.DeleteMessage' },
      });
      expect(proxy.counts()).toEqual({
        byService: { S3: 1, SQS: 1, DynamoDB: 0, ApiGateway: 0 },
        byOperation: { 'S3 PUT': 1, 'SQS DeleteMessage': 1 },
      });
      proxy.reset();
      expect(proxy.counts().byService).toEqual({ S3: 0, SQS: 0, DynamoDB: 0, ApiGateway: 0 });
    } finally {
      await proxy.close();
    }
  });

  it('resets the connections of a cut service while the others still answer, until restored', async () => {
    const proxy = await startCountingProxy(endpoint);
    const dynamo = () =>
      fetch(`${proxy.url}/`, { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem' } });
    try {
      proxy.cut('DynamoDB');
      await expect(dynamo()).rejects.toThrow();
      expect((await fetch(`${proxy.url}/bucket/key`)).status).toBe(200);
      proxy.restore();
      expect((await dynamo()).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  it('answers 502 when the emulator cannot be reached', async () => {
    const proxy = await startCountingProxy('http://127.0.0.1:1');
    try {
      const res = await fetch(`${proxy.url}/bucket/key`);
      expect(res.status).toBe(502);
    } finally {
      await proxy.close();
    }
  });
});
