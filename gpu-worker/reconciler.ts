/**
 * @module gpu-worker/reconciler
 * The worker's reconciler sweep (core/reconcile.ts) on a timer, beside the dead-letter sweep:
 * while any worker runs, a stranded job is found within one period. The scheduled reconciler
 * function covers the time no worker runs.
 */
import { type ReconcileDeps, type ReconcileOptions, reconcile } from '../core/reconcile.ts';
import type { Logger } from './logger.ts';
import { withRetry } from './retry.ts';

export interface ReconcilerSweepOptions extends ReconcileDeps {
  options: ReconcileOptions;
  intervalMs: number;
  log: Logger;
}

export function startReconciler(o: ReconcilerSweepOptions): { stop(): void } {
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const report = await withRetry(() => reconcile(o, o.options), { maxElapsedMs: o.intervalMs });
      if (report.expired.length + report.sent.length + report.resent.length > 0) {
        o.log.warn('reconciler: stranded jobs handled', { ...report });
      }
    } catch (error) {
      o.log.warn('reconciler sweep failed; will retry', { err: error });
    } finally {
      running = false;
    }
  };
  const timer = setInterval(sweep, o.intervalMs);
  void sweep();
  return { stop: () => clearInterval(timer) };
}
