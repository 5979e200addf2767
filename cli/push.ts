/**
 * @module cli/push
 * Live job status for the CLI over the push channel (one WebSocket for the whole command, opened
 * on first use). When the channel is not configured or cannot be reached, `follow` answers
 * `unavailable` and the caller polls; the CLI says so once.
 */
import WebSocket from 'ws';
import type { PushEvent } from '../core/api/push-events.ts';
import { PushWatcher } from '../core/push-client.ts';
import type { ErrorStream } from './status-board.ts';

export class JobFollower {
  readonly #url: string | undefined;
  readonly #apiKey: string;
  readonly #stderr: ErrorStream;
  #watcher: Promise<PushWatcher | undefined> | undefined;
  readonly #listeners = new Set<(event: PushEvent) => void>();
  #warned = false;

  constructor(options: { url?: string; apiKey: string; stderr: ErrorStream }) {
    this.#url = options.url;
    this.#apiKey = options.apiKey;
    this.#stderr = options.stderr;
  }

  /**
   * Calls `onEvent` for each event of `jobIds` (or of all the client's jobs when empty) until
   * every named job's final event arrived: `done`. `unavailable` when the channel cannot be used
   * (now or after losing it for good); the caller then polls.
   */
  async follow(jobIds: string[], onEvent: (event: PushEvent) => void): Promise<'done' | 'unavailable'> {
    const watcher = await this.#connect();
    if (!watcher) return 'unavailable';
    const pending = new Set(jobIds.filter((id) => !watcher.isFinished(id)));
    if (jobIds.length > 0 && pending.size === 0) return 'done';
    return new Promise((resolve) => {
      const listener = (event: PushEvent) => {
        if (jobIds.length > 0 && !pending.has(event.jobId)) return;
        onEvent(event);
        if (watcher.isFinished(event.jobId)) pending.delete(event.jobId);
        if (jobIds.length > 0 && pending.size === 0) {
          this.#listeners.delete(listener);
          resolve('done');
        }
      };
      this.#listeners.add(listener);
      watcher.closed.then(
        () => resolve('done'),
        (error: Error) => {
          this.#warn(error.message);
          resolve('unavailable');
        },
      );
      watcher.subscribe(jobIds.length > 0 ? { jobIds } : { all: true });
    });
  }

  stop(): void {
    void this.#watcher?.then((w) => w?.stop());
  }

  #connect(): Promise<PushWatcher | undefined> {
    this.#watcher ??= (async () => {
      if (!this.#url) {
        this.#warn('no push channel configured (FERRY_PUSH_URL)');
        return undefined;
      }
      const watcher = new PushWatcher({
        url: this.#url,
        apiKey: this.#apiKey,
        socket: (url) => new WebSocket(url) as never,
        onEvent: (event) => {
          for (const listener of this.#listeners) listener(event);
        },
      });
      try {
        await watcher.connect();
        return watcher;
      } catch (error) {
        this.#warn((error as Error).message);
        return undefined;
      }
    })();
    return this.#watcher;
  }

  #warn(reason: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#stderr.write(`ferry: live status unavailable (${reason}); polling instead\n`);
  }
}
