/**
 * @module bench/naive-consumer
 * The first consumer a user would write, as the baseline for row 3: one message at a time, and
 * inference on the main thread with one onnxruntime session set using every core. Receive ->
 * get object -> decode -> detection + recognition -> put result -> delete. It reuses the OCR
 * task's own steps so the comparison is about the pipeline around the model, not the model.
 * Run as a child process by bench/rows/naive.ts; prints one JSON line per finished message.
 */
import { availableParallelism } from 'node:os';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import * as ort from 'onnxruntime-node';
import { awsClient } from '../core/aws.ts';
import { resultKey } from '../core/keys.ts';
import { createOcrTask } from '../gpu-worker/tasks/ocr/index.ts';

const queueUrl = process.env.FERRY_QUEUE_URL;
if (!queueUrl) throw new Error('FERRY_QUEUE_URL is required');
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

// AWS_ENDPOINT_URL, region and credentials come from the environment, as in the user's own code.
const s3 = awsClient(S3Client);
const sqs = awsClient(SQSClient);
const task = await createOcrTask().load({
  executionProvider: 'cpu',
  createSession: (modelPath) =>
    ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      intraOpNumThreads: availableParallelism(),
    }),
});
const limits = { maxInputBytes: 20 * 1024 * 1024, maxInputPixels: 40_000_000 };

let stopping = false;
const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping = true;
    stop.abort();
  });
}
emit({ msg: 'ready', threads: availableParallelism() });

while (!stopping) {
  let out: ReceiveMessageCommandOutput;
  try {
    out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 20 }),
      { abortSignal: stop.signal },
    );
  } catch (error) {
    if (stopping) break;
    throw error;
  }
  for (const message of out.Messages ?? []) {
    const { jobId, bucket, key } = JSON.parse(message.Body ?? '{}') as Record<string, string>;
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    const t0 = performance.now();
    const prepared = await task.preprocess(bytes ?? new Uint8Array(), limits);
    const [output] = await task.infer([prepared]);
    const result = task.postprocess(output as NonNullable<typeof output>, prepared);
    const computeMs = performance.now() - t0;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: resultKey(String(jobId)),
        Body: JSON.stringify({ jobId, result }),
        ContentType: 'application/json',
      }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    emit({ msg: 'done', jobId, key, at: Date.now(), computeMs, text: result.text });
  }
}
process.exit(0);
