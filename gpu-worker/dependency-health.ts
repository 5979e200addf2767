/**
 * @module gpu-worker/dependency-health
 * Which AWS dependency (SQS, DynamoDB, S3) is failing right now, for `/readyz`. Fed by a
 * middleware on each SDK client that sees every call's final outcome (after the SDK's own
 * retries): a transient failure marks the service failing, any answer from it marks it up. A
 * call left without an answer well past its expected time (a hanging endpoint, before the
 * client's idle timeout fires) marks it failing too.
 */
import { isTransient } from './retry.ts';

export type Dependency = 'sqs' | 'dynamodb' | 's3';

export interface DependencyState {
  ok: boolean;
  /** The last failure while down. */
  error?: string;
  /** ISO time it started failing. */
  since?: string;
}

/** The part of an SDK v3 client's middleware stack used here (its own types are overloaded per step). */
interface InitializeStack {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
    options: { step: 'initialize'; name: string },
  ): void;
}

/** A call still unanswered this long past its expected time counts as the endpoint hanging, in ms. */
const HANG_AFTER_MS = 3000;

export class DependencyHealth {
  readonly #state = new Map<Dependency, DependencyState>();
  /** Outstanding calls: when each is overdue (epoch ms). */
  readonly #pending = new Map<Dependency, Set<{ overdueAt: number }>>();

  /** Reports each call's outcome of `client` as `name`. */
  watch(name: Dependency, client: { middlewareStack: unknown }): void {
    this.#state.set(name, { ok: true });
    const pending = new Set<{ overdueAt: number }>();
    this.#pending.set(name, pending);
    (client.middlewareStack as InitializeStack).add(
      (next) => async (args) => {
        // A long poll is silent for its wait time by design.
        const waitSec = Number(
          (args as { input?: { WaitTimeSeconds?: number } }).input?.WaitTimeSeconds ?? 0,
        );
        const call = { overdueAt: Date.now() + waitSec * 1000 + HANG_AFTER_MS };
        pending.add(call);
        try {
          const out = await next(args);
          this.up(name);
          return out;
        } catch (error) {
          if (isTransient(error)) this.down(name, error);
          else this.up(name); // it answered, even if with a refusal
          throw error;
        } finally {
          pending.delete(call);
        }
      },
      { step: 'initialize', name: 'ferryDependencyHealth' },
    );
  }

  up(name: Dependency): void {
    this.#state.set(name, { ok: true });
  }

  down(name: Dependency, error: unknown): void {
    const since = this.#state.get(name)?.since ?? new Date().toISOString();
    this.#state.set(name, { ok: false, error: (error as Error)?.message ?? String(error), since });
  }

  get allUp(): boolean {
    return Object.values(this.snapshot()).every((s) => s.ok);
  }

  /** Each dependency's state, e.g. `{ dynamodb: { ok: false, error, since }, sqs: { ok: true } }`. */
  snapshot(): Record<string, DependencyState> {
    const now = Date.now();
    const out: Record<string, DependencyState> = {};
    for (const [name, state] of this.#state) {
      const overdue = [...(this.#pending.get(name) ?? [])].filter((c) => c.overdueAt < now);
      out[name] =
        state.ok && overdue.length > 0
          ? {
              ok: false,
              error: `${overdue.length} call(s) unanswered`,
              since: new Date(Math.min(...overdue.map((c) => c.overdueAt)) - HANG_AFTER_MS).toISOString(),
            }
          : state;
    }
    return out;
  }
}
