/**
 * Consumer with a stubbed SQS client and a fake runner: it carries on through receive failures
 * and runner rejections, never holds more than maxInFlight, and releases what a receive brings
 * after stop().
 */
import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Consumer } from '../../../gpu-worker/consumer.ts';
import type { RunOutcome } from '../../../gpu-worker/job-runner.ts';

const sqs = mockClient(SQSClient);
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
const msg = (n: number): Message => ({ MessageId: `m${n}`, ReceiptHandle: `r${n}`, Body: '{}' });
const skipped: RunOutcome = { outcome: 'skipped', reason: 'test' };
/** A receive that answers on the next timer tick, as a long poll with wait 0 would, not in a microtask loop. */
const tick = () => new Promise((r) => setTimeout(r, 2));
let consumer: Consumer | undefined;

function makeConsumer(run: (m: Message) => Promise<RunOutcome>, maxInFlight = 4): Consumer {
  consumer = new Consumer({
    sqs: new SQSClient({}),
    queueUrl: 'q',
    runner: { run },
    log: pino({ level: 'silent' }),
    maxInFlight,
    receiveWaitSec: 0,
    visibilityTimeoutSec: 30,
    shutdownGraceMs: 1000,
    maxReceiveBackoffMs: 20,
  });
  return consumer;
}

const until = async (check: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
};

beforeEach(() => {
  sqs.reset();
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
});
afterEach(async () => {
  await consumer?.stop();
  consumer = undefined;
});

describe('Consumer', () => {
  it('backs off after a failed receive and carries on polling', async () => {
    let n = 0;
    sqs.on(ReceiveMessageCommand).callsFake(async () => {
      await tick();
      n++;
      if (n <= 3) throw refused();
      return { Messages: n === 4 ? [msg(1)] : [] };
    });
    const run = vi.fn(async () => skipped);
    makeConsumer(run).start();
    await until(() => run.mock.calls.length === 1);
    expect(n).toBeGreaterThanOrEqual(4);
  });

  it('never holds more than maxInFlight jobs, and asks SQS for no more than the free slots', async () => {
    let next = 0;
    sqs.on(ReceiveMessageCommand).callsFake(async (input: { MaxNumberOfMessages: number }) => {
      await tick();
      return { Messages: Array.from({ length: input.MaxNumberOfMessages }, () => msg(next++)) };
    });
    const finishers: Array<() => void> = [];
    let held = 0;
    let most = 0;
    const run = vi.fn(
      () =>
        new Promise<RunOutcome>((resolve) => {
          held++;
          most = Math.max(most, held);
          finishers.push(() => {
            held--;
            resolve(skipped);
          });
        }),
    );
    const c = makeConsumer(run, 3);
    c.start();
    await until(() => run.mock.calls.length === 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.inFlight).toBe(3);
    finishers.shift()?.();
    await until(() => run.mock.calls.length === 4);
    for (const f of finishers.splice(0)) f();
    await until(() => run.mock.calls.length >= 7);
    for (const f of finishers.splice(0)) f();
    expect(most).toBeLessThanOrEqual(3);
    const asked = sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages);
    expect(Math.max(...(asked as number[]))).toBeLessThanOrEqual(3);
  });

  it('releases messages a receive brings after stop(), without running them', async () => {
    let answer: ((out: { Messages: Message[] }) => void) | undefined;
    sqs.on(ReceiveMessageCommand).callsFake(
      () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    );
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
    const run = vi.fn(async () => skipped);
    const c = makeConsumer(run);
    c.start();
    await until(() => answer !== undefined);
    const stopped = c.stop();
    answer?.({ Messages: [msg(1), msg(2)] });
    await stopped;
    expect(run).not.toHaveBeenCalled();
    const release = sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input;
    expect(release?.Entries?.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual([
      ['r1', 0],
      ['r2', 0],
    ]);
  });

  it('keeps polling after the runner rejects (an AWS call that outlived its retries)', async () => {
    let next = 0;
    sqs.on(ReceiveMessageCommand).callsFake(async () => {
      await tick();
      return { Messages: next < 3 ? [msg(next++)] : [] };
    });
    const run = vi
      .fn<(m: Message) => Promise<RunOutcome>>()
      .mockRejectedValueOnce(refused())
      .mockResolvedValue(skipped);
    const c = makeConsumer(run);
    c.start();
    await until(() => run.mock.calls.length === 3);
    await until(() => c.inFlight === 0);
    expect(c.stopping).toBe(false);
  });

  it('waits for beforeReceive (task protection) before every receive', async () => {
    const order: string[] = [];
    sqs.on(ReceiveMessageCommand).callsFake(async () => {
      await tick();
      order.push('receive');
      return {};
    });
    consumer = new Consumer({
      sqs: new SQSClient({}),
      queueUrl: 'q',
      runner: { run: async () => skipped },
      log: pino({ level: 'silent' }),
      maxInFlight: 1,
      receiveWaitSec: 0,
      visibilityTimeoutSec: 30,
      shutdownGraceMs: 1000,
      beforeReceive: async () => {
        order.push('protect');
      },
    });
    consumer.start();
    await until(() => order.length >= 4);
    expect(order.slice(0, 4)).toEqual(['protect', 'receive', 'protect', 'receive']);
  });
});
