/**
 * core/aws: every client comes from one factory, with Ferry's timeouts, path-style S3 where an
 * endpoint is set, and the call recorder (core/aws-calls.ts) only when FERRY_AWS_CALL_LOG is set.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { awsClient } from '../../../core/aws.ts';
import { type AwsCall, callLogEnv } from '../../../core/aws-calls.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
/** Answers every request without the network, so a call runs the whole middleware stack. */
const offline = { handle: async () => ({ response: { statusCode: 200, headers: {}, body: undefined } }) };

describe('awsClient', () => {
  it('addresses S3 path-style where an endpoint is set, virtual-hosted on AWS', async () => {
    const local = awsClient(
      S3Client,
      { credentials, region: 'us-east-1' },
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' },
    );
    const aws = awsClient(S3Client, { credentials, region: 'us-east-1' }, {});
    expect(await local.config.forcePathStyle).toBe(true);
    expect(await aws.config.forcePathStyle).toBe(false);
  });

  it('records each call with its component, service, operation and resources when asked', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ferry-calls-')), 'calls.jsonl');
    const env = {
      FERRY_AWS_CALL_LOG: file,
      FERRY_COMPONENT: 'worker',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
    };
    const s3 = awsClient(S3Client, { credentials, region: 'us-east-1', requestHandler: offline }, env);
    const sqs = awsClient(SQSClient, { credentials, region: 'us-east-1', requestHandler: offline }, env);
    await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'uploads/x.png' })).catch(() => {});
    await sqs
      .send(new SendMessageCommand({ QueueUrl: 'http://127.0.0.1:1/000000000000/q', MessageBody: 'secret' }))
      .catch(() => {});
    const calls = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AwsCall);
    expect(calls).toEqual([
      {
        component: 'worker',
        service: 'S3',
        operation: 'GetObject',
        resources: { Bucket: 'b', Key: 'uploads/x.png' },
      },
      {
        component: 'worker',
        service: 'SQS',
        operation: 'SendMessage',
        resources: { QueueUrl: 'http://127.0.0.1:1/000000000000/q' },
      },
    ]);
  });

  it('adds no recorder without FERRY_AWS_CALL_LOG', () => {
    const s3 = awsClient(S3Client, { credentials, region: 'us-east-1' }, {});
    expect(s3.middlewareStack.identify().some((m) => m.includes('ferryCallRecorder'))).toBe(false);
  });

  it("names each component's log file in the run's folder, and nothing without one", () => {
    expect(callLogEnv('push-fanout', { FERRY_AWS_CALL_DIR: '/tmp/run-1' })).toEqual({
      FERRY_AWS_CALL_LOG: '/tmp/run-1/push-fanout.jsonl',
      FERRY_COMPONENT: 'push-fanout',
    });
    expect(callLogEnv('worker', {})).toEqual({});
  });
});
