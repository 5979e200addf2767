/**
 * The chaos suite's short version (the full one is `npm run chaos`): a refusing endpoint, a
 * hanging endpoint, kill -9 of a worker with jobs in flight, and two workers with one killed.
 * Each ends with every upload SUCCEEDED exactly once and a worker alive.
 */
import { describe, expect, it } from 'vitest';
import { runScenario, type ScenarioName } from '../support/chaos.ts';

const OUTAGE_MS = 8000;

describe('chaos (emulator, worker processes, TCP proxy)', () => {
  it.each<ScenarioName>(['endpoint-refuses', 'endpoint-hangs'])(
    '%s for a while: the worker lives, /readyz names the dependency, every job succeeds once',
    {
      timeout: 180_000,
    },
    async (name) => {
      const r = await runScenario(name, { jobs: 12, outageMs: OUTAGE_MS, jobMs: 300 });
      expect(r.failures).toEqual([]);
      expect(r.succeeded).toBe(r.jobs);
      expect(r.duplicates).toBe(0);
      expect(r.workerAlive).toBe(true);
      expect(r.readyDuringOutage?.status).toBe(503);
      expect(r.readyDuringOutage?.failing.length).toBeGreaterThan(0);
      // Back within seconds of the endpoint's return, not after a visibility timeout or restart.
      expect(r.recoveryMs).toBeLessThan(15_000);
    },
  );

  it.each<ScenarioName>(['kill-9', 'two-workers-one-killed'])(
    '%s with jobs in flight: every job succeeds exactly once',
    { timeout: 180_000 },
    async (name) => {
      const r = await runScenario(name, { jobs: 10, outageMs: 0, jobMs: 1000 });
      expect(r.failures).toEqual([]);
      expect(r.succeeded).toBe(r.jobs);
      expect(r.duplicates).toBe(0);
      expect(r.workerAlive).toBe(true);
    },
  );
});
