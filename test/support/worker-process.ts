/**
 * Runs the real worker entry point (gpu-worker/main.ts) as a child process against a test stack,
 * as `npm start` and the container do, and collects its JSON log lines.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { callLogEnv } from '../../core/aws-calls.ts';
import { WORKER_PROCESS_ENV } from '../../gpu-worker/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface WorkerProcess {
  child: ChildProcess;
  healthUrl: string;
  /** Parsed JSON log lines so far. */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the first log line that matches. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM, then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Fast-polling, CPU-only defaults for tests; `env` overrides them. */
const TEST_DEFAULTS = {
  FERRY_HEALTH_PORT: '0',
  FERRY_RECEIVE_WAIT_SEC: '1',
  FERRY_EXECUTION_PROVIDERS: 'cpu',
  FERRY_SHUTDOWN_GRACE_SEC: '10',
};

/**
 * Builds the worker bundle the container runs (`npm run build:worker`, under a second) and returns
 * its entry point, for tests and bench rows that run the worker as it ships: without the
 * TypeScript loader the source form needs (in every inference thread too).
 */
export function buildWorkerBundle(): string {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-worker.ts'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  return path.join(ROOT, 'dist/worker/main.js');
}

/**
 * Starts the worker from its TypeScript source, or with `bundle` the esbuild bundle the container
 * runs (`npm run build:worker` writes it to dist/worker/), which loads no TypeScript at run time.
 */
export async function startWorker(
  env: Record<string, string>,
  options: { bundle?: string } = {},
): Promise<WorkerProcess> {
  // node --import tsx, not the tsx CLI: the CLI runs the script in a grandchild, which a
  // SIGKILL of the CLI would leave running.
  const args = options.bundle ? [options.bundle] : ['--import', 'tsx', 'gpu-worker/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // callLogEnv: the worker records its AWS calls as `worker`, whatever the test file's own process records as.
    env: { ...WORKER_PROCESS_ENV, ...process.env, ...TEST_DEFAULTS, ...callLogEnv('worker'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        // Not a log line (e.g. a native library's output).
      }
    }
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog: WorkerProcess['waitForLog'] = (match, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (found) {
          done();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`worker log line not seen within ${timeoutMs} ms; stderr:\n${stderr}`));
      }, timeoutMs);
      const onExit = () => {
        done();
        reject(new Error(`worker exited (code ${child.exitCode}); stderr:\n${stderr}`));
      };
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      waiters.add(check);
      child.once('exit', onExit);
      check();
    });

  const ready = await waitForLog((l) => l.msg === 'worker ready', 60_000);
  return {
    child,
    healthUrl: `http://127.0.0.1:${ready.healthPort}`,
    logs,
    waitForLog,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
