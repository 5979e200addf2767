/**
 * @module gpu-worker/dependency-health
 * Which AWS dependency (SQS, DynamoDB, S3) is failing right now, for `/readyz`. Fed by a
 * middleware on each SDK client that sees every call's final outcome (after the SDK's own
 * retries): a transient failure marks the service failing, any answer from it marks it up.
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

export class DependencyHealth {
  readonly #state = new Map<Dependency, DependencyState>();

  /** Reports each call's outcome of `client` as `name`. */
  watch(name: Dependency, client: { middlewareStack: unknown }): void {
    this.#state.set(name, { ok: true });
    (client.middlewareStack as InitializeStack).add(
      (next) => async (args) => {
        try {
          const out = await next(args);
          this.up(name);
          return out;
        } catch (error) {
          if (isTransient(error)) this.down(name, error);
          else this.up(name); // it answered, even if with a refusal
          throw error;
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
    return [...this.#state.values()].every((s) => s.ok);
  }

  /** Failing dependencies first, e.g. `{ dynamodb: { ok: false, error, since }, sqs: { ok: true } }`. */
  snapshot(): Record<string, DependencyState> {
    return Object.fromEntries(this.#state);
  }
}
