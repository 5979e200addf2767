/**
 * @module bench/cpu-hog
 * The "slowed machine" of `--cpu-hog`: child processes that each keep one core busy for as long
 * as they live, so a row shows what ingest and the worker do when the machine is short of CPU
 * (a neighbour's build, a noisy host), as the burst that lost uploads on a busy 2-core machine did.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface CpuHog {
  cores: number;
  stop(): void;
}

export function startCpuHog(cores: number): CpuHog {
  const children: ChildProcess[] = Array.from({ length: cores }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  return {
    cores,
    stop() {
      for (const child of children) child.kill('SIGKILL');
    },
  };
}
