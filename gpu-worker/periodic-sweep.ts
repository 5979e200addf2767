/**
 * @module gpu-worker/periodic-sweep
 * The one skeleton of the worker's background sweeps (dead letters, reconciler, ingest
 * recovery): run now and then every `intervalMs`, never two runs of one sweep at once, and a
 * failed run is logged and left to the next one, so a sweep can never stop the worker.
 */
import type { Logger } from './logger.ts';

export interface PeriodicSweep {
  stop(): void;
}

/** Runs each of `steps` in turn every `intervalMs`; one step failing does not hold back the next. */
export function startPeriodicSweep(
  name: string,
  intervalMs: number,
  steps: Array<() => Promise<void>>,
  log: Logger,
): PeriodicSweep {
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        log.warn(`${name} sweep failed; will retry`, { error });
      }
    }
    running = false;
  };
  const timer = setInterval(sweep, intervalMs);
  void sweep();
  return { stop: () => clearInterval(timer) };
}
