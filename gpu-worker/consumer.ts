/**
 * @module gpu-worker/consumer
 * The long-running queue consumer. It long-polls the jobs queue and keeps up to `maxInFlight`
 * jobs going at once (beyond SQS's 10 per receive), so downloads and uploads of the next jobs
 * overlap inference in the threads. Delivery is at-least-once; the job runner's conditional
 * writes make each job run to one final state (see job-runner.ts).
 *
 * Shutdown (`stop()`, on SIGTERM/SIGINT): stop receiving, let in-flight jobs finish for up to
 * `shutdownGraceMs`, then release the rest (lease ended, visibility 0) so another worker takes
 * them at once. A long poll under way is left to finish (at most `receiveWaitSec`) rather than
 * aborted: an aborted request can still be handed a message, hidden for the visibility timeout
 * with nobody to process it. Whatever it returns after stop() is released at once.
 *
 * Nothing here ends the process: a failed receive backs off (capped, jittered) and polls again,
 * and a runner that rejects is logged while the loop goes on. There is no 'error' event, which
 * Node would turn into a crash when nobody listens.
 */
import { EventEmitter } from 'node:events';
import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { JobRunner, RunOutcome } from './job-runner.ts';
import type { Logger } from './logger.ts';
import { backoffDelayMs, sleep, withRetry } from './retry.ts';

export interface ConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  runner: Pick<JobRunner, 'run'>;
  log: Logger;
  /** Jobs held at once. */
  maxInFlight: number;
  /** Long-poll wait per receive, in seconds. */
  receiveWaitSec: number;
  /** Visibility of received messages, in seconds; the heartbeat keeps extending it. */
  visibilityTimeoutSec: number;
  /** How long in-flight jobs may finish after stop(), in ms. */
  shutdownGraceMs: number;
  /** Awaited before each receive (e.g. to turn on task scale-in protection first). */
  beforeReceive?(): Promise<void>;
  /** Awaited after each receive, before its messages start (`held`: jobs in flight before them). */
  afterReceive?(received: number, held: number): Promise<void>;
  /** Longest wait between failed receives, in ms. @default 5000 */
  maxReceiveBackoffMs?: number;
}

/** The consumer's lifecycle, for metrics, health and task protection. */
export interface ConsumerEvents {
  jobStarted: [inFlight: number];
  jobEnded: [outcome: RunOutcome, inFlight: number];
  /** A receive succeeded (the queue is reachable) and brought `received` messages. */
  polled: [received: number];
}

export class Consumer extends EventEmitter<ConsumerEvents> {
  readonly #options: ConsumerOptions;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stopPolling = new AbortController();
  readonly #release = new AbortController();
  #loop: Promise<void> | undefined;
  #slotFreed: (() => void) | undefined;

  constructor(options: ConsumerOptions) {
    super();
    this.#options = options;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  get stopping(): boolean {
    return this.#stopPolling.signal.aborted;
  }

  start(): void {
    this.#loop ??= this.#poll();
  }

  /** Graceful stop; resolves when every held job has finished or been released. */
  async stop(): Promise<void> {
    this.#stopPolling.abort();
    this.#slotFreed?.();
    await this.#loop;
    const all = Promise.allSettled([...this.#inFlight]);
    const grace = new Promise<'timeout'>((resolve) =>
      setTimeout(resolve, this.#options.shutdownGraceMs, 'timeout').unref(),
    );
    if ((await Promise.race([all, grace])) === 'timeout') {
      this.#options.log.warn('grace period over; releasing in-flight jobs', {
        inFlight: this.#inFlight.size,
      });
      this.#release.abort();
      await all;
    }
  }

  async #poll(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const capacity = this.#options.maxInFlight - this.#inFlight.size;
      if (capacity <= 0) {
        await new Promise<void>((resolve) => {
          this.#slotFreed = resolve;
        });
        continue;
      }
      let messages: Message[];
      try {
        await this.#options.beforeReceive?.();
        if (this.stopping) break;
        messages = await this.#receive(Math.min(10, capacity));
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        const delayMs = backoffDelayMs(failures++, 200, this.#options.maxReceiveBackoffMs ?? 5000);
        this.#options.log.error('receive failed; backing off', { error, failures, delayMs });
        await sleep(delayMs, this.#stopPolling.signal);
        continue;
      }
      if (this.stopping) {
        await this.#releaseUnstarted(messages);
        break;
      }
      this.emit('polled', messages.length);
      try {
        await this.#options.afterReceive?.(messages.length, this.#inFlight.size);
      } catch (error) {
        this.#options.log.warn('afterReceive hook failed', { error });
      }
      for (const message of messages) this.#track(message);
    }
  }

  #receive(max: number): Promise<Message[]> {
    return this.#options.sqs
      .send(
        new ReceiveMessageCommand({
          QueueUrl: this.#options.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: this.#options.receiveWaitSec,
          VisibilityTimeout: this.#options.visibilityTimeoutSec,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
      )
      .then((out) => out.Messages ?? []);
  }

  async #releaseUnstarted(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await withRetry(
        () =>
          this.#options.sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: this.#options.queueUrl,
              Entries: messages.map((message, i) => ({
                Id: String(i),
                ReceiptHandle: message.ReceiptHandle,
                VisibilityTimeout: 0,
              })),
            }),
          ),
        { maxElapsedMs: this.#options.shutdownGraceMs },
      );
    } catch (error) {
      // They come back after their visibility timeout instead.
      this.#options.log.warn('could not release messages received while stopping', { error });
    }
  }

  #track(message: Message): void {
    let outcome: RunOutcome | undefined;
    const work: Promise<void> = this.#options.runner
      .run(message, this.#release.signal)
      .then(
        (result) => {
          outcome = result;
        },
        (error: unknown) => {
          // Only infrastructure errors that outlived the runner's retries reach here: the
          // message stays in the queue and comes back after its visibility timeout.
          this.#options.log.error('message processing failed', { error, messageId: message.MessageId });
        },
      )
      .finally(() => {
        this.#inFlight.delete(work);
        if (outcome) this.emit('jobEnded', outcome, this.#inFlight.size);
        this.#slotFreed?.();
        this.#slotFreed = undefined;
      });
    this.#inFlight.add(work);
    this.emit('jobStarted', this.#inFlight.size);
  }
}
