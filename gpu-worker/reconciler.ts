/**
 * @module gpu-worker/reconciler
 * The worker's reconciler sweep (core/reconcile.ts) on a timer, beside the dead-letter sweep:
 * while any worker runs, a stranded job is found within one period. Where the worker is given
 * the ingest failures queue (locally), the same sweep runs ingest recovery (core/ingest/
 * recovery.ts). The scheduled reconciler function covers the time no worker runs.
 */
import { type IngestRecoveryDeps, recoverIngest } from '../core/ingest/recovery.ts';
import { type ReconcileDeps, type ReconcileOptions, reconcile } from '../core/reconcile.ts';
import type { Logger } from './logger.ts';
import { type PeriodicSweep, startPeriodicSweep } from './periodic-sweep.ts';
import { withRetry } from './retry.ts';

export interface ReconcilerSweepOptions extends ReconcileDeps {
  options: ReconcileOptions;
  intervalMs: number;
  log: Logger;
  ingestRecovery?: IngestRecoveryDeps | undefined;
}

export function startReconciler(o: ReconcilerSweepOptions): PeriodicSweep {
  const stranded = async () => {
    const report = await withRetry(() => reconcile(o, o.options), { maxElapsedMs: o.intervalMs });
    if (report.expired.length + report.sent.length + report.resent.length > 0) {
      o.log.warn('reconciler: stranded jobs handled', { ...report });
    }
  };
  const recovery = o.ingestRecovery && { ...o.ingestRecovery, everySec: o.intervalMs / 1000 };
  const lostUploads = async () => {
    if (!recovery) return;
    const report = await withRetry(() => recoverIngest(recovery, o.log), { maxElapsedMs: o.intervalMs });
    if (report.replay.replayed + report.replay.failed + (report.sweep?.orphans ?? 0) > 0) {
      o.log.warn('ingest recovery: lost uploads handled', { ...report });
    }
  };
  return startPeriodicSweep('reconciler', o.intervalMs, [stranded, lostUploads], o.log);
}
