/**
 * @module core/push-client
 * A watcher on the push channel, for Node (with the `ws` package) and browsers (their own
 * WebSocket): connects with an API key, subscribes, hands on each job's events in order
 * (dropping any older than one already seen, since a snapshot and a live event may cross), and
 * after a dropped connection reconnects and resubscribes; the snapshots it then gets carry any
 * final state it missed. While open it sends `{"action":"ping"}` every PUSH.pingIntervalMs, so
 * API Gateway's 10-minute idle close never hits a watcher that is only listening (a browser
 * cannot send WebSocket ping frames, so the keep-alive is a message; the socket function
 * accepts it without an answer).
 */

import type { PushEvent, PushMessage, PushReply, PushRequest } from './api/push-events.ts';
import { FerryError } from './errors.ts';
import { isFinal } from './job.ts';
import { PUSH } from './push-config.ts';

/** The part of the WHATWG WebSocket both `ws` and browsers provide. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number): void;
  addEventListener(
    type: 'open' | 'close' | 'error' | 'message',
    listener: (event: { data?: unknown }) => void,
  ): void;
}
export type SocketFactory = (url: string) => SocketLike;

export interface PushWatcherOptions {
  /** ws:// or wss:// URL of the WebSocket API. */
  url: string;
  apiKey: string;
  socket: SocketFactory;
  onEvent: (event: PushEvent) => void;
  onReply?: (reply: PushReply) => void;
  /** Called when a connection is lost and a reconnect is scheduled. */
  onDisconnect?: () => void;
  /** Reconnect attempts in a row before giving up (then `closed` rejects). @defaultvalue 5 */
  maxReconnects?: number;
  /** @defaultvalue 500 */
  reconnectDelayMs?: number;
  /** Keep-alive period while connected. @defaultvalue PUSH.pingIntervalMs */
  pingIntervalMs?: number;
}

/** The push channel could not be opened, refused the connection, or was lost for good. */
export class PushConnectError extends FerryError {
  override readonly name = 'PushConnectError';
  readonly code = 'PUSH_UNAVAILABLE';
}

export class PushWatcher {
  readonly #options: PushWatcherOptions;
  #socket: SocketLike | undefined;
  readonly #jobIds = new Set<string>();
  #all = false;
  readonly #lastAt = new Map<string, string>();
  readonly #finished = new Set<string>();
  #stopped = false;
  #failures = 0;
  #ping: ReturnType<typeof setInterval> | undefined;
  #closed: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** Settles when the watcher is stopped (resolves) or gives up reconnecting (rejects). */
  readonly closed: Promise<void>;

  constructor(options: PushWatcherOptions) {
    this.#options = options;
    this.closed = new Promise((resolve, reject) => {
      this.#closed = { resolve, reject };
    });
    // Nobody may await `closed`; the rejection is reported through connect() or stop() instead.
    this.closed.catch(() => undefined);
  }

  /** Opens the socket; rejects with PushConnectError when the channel refuses or is unreachable. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = new URL(this.#options.url);
      url.searchParams.set('key', this.#options.apiKey);
      const socket = this.#options.socket(url.href);
      this.#socket = socket;
      let open = false;
      socket.addEventListener('open', () => {
        open = true;
        this.#failures = 0;
        this.#keepAlive();
        this.#resubscribe();
        resolve();
      });
      socket.addEventListener('message', (event) => this.#receive(String(event.data)));
      socket.addEventListener('error', () => {
        if (!open) reject(new PushConnectError(`Cannot open the push channel at ${this.#options.url}`));
      });
      socket.addEventListener('close', () => {
        if (this.#socket === socket) clearInterval(this.#ping);
        if (!open) {
          reject(new PushConnectError(`The push channel at ${this.#options.url} refused the connection`));
          return;
        }
        if (this.#stopped) return;
        this.#options.onDisconnect?.();
        void this.#reconnect();
      });
    });
  }

  subscribe(request: Pick<PushRequest, 'jobIds' | 'all'>): void {
    for (const id of request.jobIds ?? []) this.#jobIds.add(id);
    if (request.all) this.#all = true;
    this.#send({ action: 'subscribe', ...request });
  }

  /** True once the job's final event arrived. */
  isFinished(jobId: string): boolean {
    return this.#finished.has(jobId);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#ping);
    this.#socket?.close(1000);
    this.#closed?.resolve();
  }

  #send(request: PushRequest): void {
    if (this.#socket?.readyState === 1) this.#socket.send(JSON.stringify(request));
  }

  #keepAlive(): void {
    clearInterval(this.#ping);
    this.#ping = setInterval(
      () => this.#send({ action: 'ping' }),
      this.#options.pingIntervalMs ?? PUSH.pingIntervalMs,
    );
    // A Node process that only watches still exits when the watcher is done with.
    (this.#ping as { unref?: () => void }).unref?.();
  }

  #resubscribe(): void {
    const pending = [...this.#jobIds].filter((id) => !this.#finished.has(id));
    if (pending.length > 0) this.#send({ action: 'subscribe', jobIds: pending });
    if (this.#all) this.#send({ action: 'subscribe', all: true });
  }

  async #reconnect(): Promise<void> {
    const max = this.#options.maxReconnects ?? 5;
    while (!this.#stopped) {
      if (++this.#failures > max) {
        this.#closed?.reject(new PushConnectError(`Lost the push channel after ${max} reconnect attempts`));
        return;
      }
      await new Promise((r) => setTimeout(r, (this.#options.reconnectDelayMs ?? 500) * this.#failures));
      try {
        await this.connect();
        return;
      } catch {
        // counted above; try again
      }
    }
  }

  #receive(text: string): void {
    let message: PushMessage;
    try {
      message = JSON.parse(text) as PushMessage;
    } catch {
      return;
    }
    if (!('jobId' in message)) {
      this.#options.onReply?.(message);
      return;
    }
    // A snapshot and a live event may cross or repeat a state: keep only what is newer.
    const seen = `${message.at}|${message.status}|${JSON.stringify(message.progress ?? null)}`;
    const last = this.#lastAt.get(message.jobId);
    if (this.#finished.has(message.jobId)) return;
    if (last !== undefined && (message.at < (last.split('|')[0] ?? '') || seen === last)) return;
    this.#lastAt.set(message.jobId, seen);
    if (isFinal(message.status)) this.#finished.add(message.jobId);
    this.#options.onEvent(message);
  }
}
