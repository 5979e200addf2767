/**
 * @module gpu-worker/task-protection
 * ECS task scale-in protection: on while the worker holds jobs, off when idle, so scale-in and
 * deployments never kill a running job. Uses the ECS agent endpoint ($ECS_AGENT_URI), which
 * exists only inside ECS; elsewhere this is a no-op.
 */
import type { Logger } from './logger.ts';

/** Longest protection one call grants; renewed well before it lapses while jobs run. */
const EXPIRES_IN_MINUTES = 60;
const RENEW_EVERY_MS = 20 * 60 * 1000;

export class TaskProtection {
  readonly #agentUri: string | undefined;
  readonly #log: Logger;
  #protected = false;
  #renewedAt = 0;
  #pending: Promise<void> = Promise.resolve();

  constructor(agentUri: string | undefined, log: Logger) {
    this.#agentUri = agentUri;
    this.#log = log;
  }

  /** Call whenever the number of held jobs changes. */
  update(heldJobs: number): void {
    const want = heldJobs > 0;
    const due = want && Date.now() - this.#renewedAt > RENEW_EVERY_MS;
    if (!this.#agentUri || (want === this.#protected && !due)) return;
    this.#protected = want;
    if (want) this.#renewedAt = Date.now();
    this.#pending = this.#pending.then(() => this.#set(want));
  }

  async #set(enabled: boolean): Promise<void> {
    try {
      const res = await fetch(`${this.#agentUri}/task-protection/v1/state`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ProtectionEnabled: enabled,
          ...(enabled ? { ExpiresInMinutes: EXPIRES_IN_MINUTES } : {}),
        }),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      this.#log.debug('task scale-in protection set', { enabled });
    } catch (error) {
      this.#log.warn('could not set ECS task scale-in protection', { err: error, enabled });
    }
  }
}
