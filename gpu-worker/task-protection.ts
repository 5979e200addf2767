/**
 * @module gpu-worker/task-protection
 * ECS task scale-in protection, derived from the worker's own state rather than job events, so
 * scale-in and deployments never stop a task that holds or is about to hold a job:
 * - before each receive while working (not idle), if not protected, protection is turned on
 *   first, so no job can arrive at an unprotected task; a receive that brings jobs to an idle,
 *   unprotected task turns protection on before any of them starts (and if ECS stops the task
 *   in that gap, SIGTERM's graceful stop releases them);
 * - while protected it is renewed on a timer, well before it expires, however long jobs run;
 * - after `idlePollsBeforeRelease` receives in a row that brought nothing while no job was held,
 *   it is turned off, so an idle fleet can scale in and deployments can replace the task;
 * - a PUT counts only once the agent accepted it; failures are retried with backoff, and a
 *   release that failed is tried again at the next idle poll.
 * Uses the ECS agent endpoint ($ECS_AGENT_URI), which exists only inside ECS; elsewhere a no-op.
 */
import type { Logger } from './logger.ts';
import { type RetryOptions, withRetry } from './retry.ts';

export interface TaskProtectionOptions {
  /** The ECS agent's base URL ($ECS_AGENT_URI); undefined turns protection off. */
  agentUri: string | undefined;
  log: Logger;
  /** Protection one PUT grants, in minutes. @default 60 */
  expiresInMinutes?: number;
  /** Renewal period while protected, in ms. @default a third of the expiry (20 min) */
  renewEveryMs?: number;
  /** Idle receives in a row, with no job held, before protection is released. @default 3 */
  idlePollsBeforeRelease?: number;
  /** Per-request timeout, in ms. @default 5000 */
  requestTimeoutMs?: number;
  /** Retries of one change. @default up to 10 s, capped at 2 s between tries */
  retry?: Pick<RetryOptions, 'baseMs' | 'capMs' | 'maxElapsedMs'>;
}

export class TaskProtection {
  readonly #o: Required<Omit<TaskProtectionOptions, 'agentUri' | 'retry'>> &
    Pick<TaskProtectionOptions, 'agentUri' | 'retry'>;
  #protected = false;
  #idlePolls = 0;
  #renewTimer: NodeJS.Timeout | undefined;
  /** Changes run one at a time, in order. */
  #chain: Promise<void> = Promise.resolve();

  constructor(options: TaskProtectionOptions) {
    const expiresInMinutes = options.expiresInMinutes ?? 60;
    this.#o = {
      ...options,
      expiresInMinutes,
      renewEveryMs: options.renewEveryMs ?? (expiresInMinutes * 60_000) / 3,
      idlePollsBeforeRelease: options.idlePollsBeforeRelease ?? 3,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    };
  }

  /** True once the agent accepted protection and until it accepted its release. */
  get isProtected(): boolean {
    return this.#protected;
  }

  get #idle(): boolean {
    return this.#idlePolls >= this.#o.idlePollsBeforeRelease;
  }

  /** Awaited before each receive: while working, protection is on before any job can arrive. */
  beforeReceive(): Promise<void> {
    if (!this.#o.agentUri || this.#protected || this.#idle) return this.#chain;
    return this.#enqueue(async () => {
      if (!this.#protected) await this.#protect();
    });
  }

  /** Awaited after each receive, before its jobs start: `received` messages came, `held` jobs are in flight. */
  afterReceive(received: number, held: number): Promise<void> {
    this.#idlePolls = received > 0 || held > 0 ? 0 : this.#idlePolls + 1;
    if (!this.#o.agentUri) return this.#chain;
    if (received > 0 && !this.#protected) {
      return this.#enqueue(async () => {
        if (!this.#protected) await this.#protect();
      });
    }
    if (this.#idle && this.#protected) {
      return this.#enqueue(async () => {
        if (this.#protected && this.#idle) await this.#unprotect();
      });
    }
    return this.#chain;
  }

  /** On shutdown, once no job is held. */
  release(): Promise<void> {
    clearInterval(this.#renewTimer);
    if (!this.#o.agentUri || !this.#protected) return this.#chain;
    return this.#enqueue(() => this.#unprotect());
  }

  async #protect(): Promise<void> {
    if (await this.#put(true)) {
      this.#protected = true;
      clearInterval(this.#renewTimer);
      this.#renewTimer = setInterval(() => {
        void this.#enqueue(async () => {
          if (this.#protected) await this.#put(true);
        });
      }, this.#o.renewEveryMs);
      this.#renewTimer.unref();
    }
  }

  async #unprotect(): Promise<void> {
    if (await this.#put(false)) {
      this.#protected = false;
      clearInterval(this.#renewTimer);
    }
  }

  #enqueue(change: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(change);
    return this.#chain;
  }

  /** One state change, retried; true once the agent accepted it. */
  async #put(enabled: boolean): Promise<boolean> {
    try {
      await withRetry(
        async () => {
          const res = await fetch(`${this.#o.agentUri}/task-protection/v1/state`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              ProtectionEnabled: enabled,
              ...(enabled ? { ExpiresInMinutes: this.#o.expiresInMinutes } : {}),
            }),
            signal: AbortSignal.timeout(this.#o.requestTimeoutMs),
          });
          // The agent answers 5xx (and 4xx while the ECS API is unreachable) for passing trouble.
          if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        },
        { baseMs: 200, capMs: 2000, maxElapsedMs: 10_000, ...this.#o.retry },
      );
      this.#o.log.debug('task scale-in protection set', { enabled });
      return true;
    } catch (error) {
      this.#o.log.warn('could not set ECS task scale-in protection; will retry', { error, enabled });
      return false;
    }
  }
}
