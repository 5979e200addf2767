/**
 * @module bench/chaos
 * `npm run chaos`: the chaos suite at full size against the local emulator, printed as a
 * markdown report (JSON copy in bench/results/): the endpoint refusing for 15 s, hanging for
 * 15 s, kill -9 of a worker with jobs in flight, two workers with one killed, and a 1000-upload
 * burst. Each must end with every upload SUCCEEDED exactly once and a worker alive; the exit
 * code is 1 otherwise. `--jobs N`, `--outage-sec S`, `--burst N` and `--only name,...` resize it;
 * `--cpu-hog N` keeps N cores busy for the whole run (a slowed machine). The burst runs with the
 * push channel on and a watcher of every job, and reports what ingest recovery replayed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureEmulator } from '../scripts/local/emulator.ts';
import { runScenario, type ScenarioName, type ScenarioResult } from '../test/support/chaos.ts';
import { startCpuHog } from './cpu-hog.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '40' },
    'outage-sec': { type: 'string', default: '15' },
    burst: { type: 'string', default: '1000' },
    only: { type: 'string' },
    'cpu-hog': { type: 'string', default: '0' },
  },
});
const jobs = Number(values.jobs);
const outageMs = Number(values['outage-sec']) * 1000;
const all: ScenarioName[] = [
  'endpoint-refuses',
  'endpoint-hangs',
  'kill-9',
  'two-workers-one-killed',
  'burst',
];
const chosen = values.only ? (values.only.split(',') as ScenarioName[]) : all;

const hog = Number(values['cpu-hog']) > 0 ? startCpuHog(Number(values['cpu-hog'])) : undefined;
const emulator = await ensureEmulator({ log: (line) => console.error(`[emulator] ${line}`) });
process.env.AWS_ENDPOINT_URL = emulator.endpoint;
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

const results: Array<ScenarioResult | { scenario: ScenarioName; error: string }> = [];
try {
  for (const name of chosen) {
    console.error(`running ${name} ...`);
    const size =
      name === 'burst'
        ? { jobs: Number(values.burst), outageMs: 0, jobMs: 0 }
        : { jobs, outageMs, jobMs: name.startsWith('endpoint') ? 300 : 1000 };
    try {
      results.push(await runScenario(name, size));
    } catch (error) {
      results.push({ scenario: name, error: (error as Error).message });
    }
  }
} finally {
  await emulator.stop();
  hog?.stop();
}

const ok = (r: ScenarioResult) => r.succeeded === r.jobs && r.duplicates === 0 && r.workerAlive;
const sec = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const lines = [
  `# Chaos report (${new Date().toISOString()})`,
  '',
  `Outages ${outageMs / 1000} s; sleep-task jobs; worker: 2 threads, visibility 3 s, heartbeat 1 s.`,
  '',
  '| scenario | jobs | succeeded | duplicates | recovery | total | worker alive | /readyz in outage | result |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map((r) =>
    'error' in r
      ? `| ${r.scenario} | - | - | - | - | - | - | - | FAILED: ${r.error} |`
      : `| ${r.scenario} | ${r.jobs} | ${r.succeeded} | ${r.duplicates} | ${sec(r.recoveryMs)} | ${sec(r.totalMs)} | ${r.workerAlive ? 'yes' : 'no'} | ${r.readyDuringOutage ? `${r.readyDuringOutage.status} (${r.readyDuringOutage.failing.join(', ') || 'none'})` : '-'} | ${ok(r) ? 'pass' : `FAIL ${r.failures.slice(0, 3).join('; ')}`} |`,
  ),
  '',
  'recovery: from the fault ending (endpoint back, worker killed) to the first job finished after it.',
  ...results.flatMap((r) =>
    'burst' in r && r.burst
      ? [
          '',
          `burst: ${r.burst.replayed} failed events replayed, ${r.burst.orphans} orphans swept, ` +
            `final events at the watcher ${r.burst.finalEvents}/${r.jobs}` +
            (hog ? `; ${hog.cores} core(s) kept busy by a spinning process.` : '.'),
        ]
      : [],
  ),
];
console.log(lines.join('\n'));
const dir = path.resolve(import.meta.dirname, 'results');
await mkdir(dir, { recursive: true });
await writeFile(
  path.join(dir, `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  JSON.stringify(results, null, 2),
);
process.exit(results.every((r) => !('error' in r) && ok(r)) ? 0 : 1);
