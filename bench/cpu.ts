/**
 * @module bench/cpu
 * CPU time from /proc (Linux only): one process's (all its threads) and the whole machine's busy
 * time, so a row can say how much of the machine its subject used and how much went elsewhere
 * (the emulator, the ingest Lambdas, the bench itself). Both count in USER_HZ ticks, 100 per
 * second on Linux.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

const TICK_MS = 10;

export interface CpuSnapshot {
  at: number;
  /** The process's user + system time, ms. */
  processMs: number;
  /** Every core's non-idle time, ms. */
  machineBusyMs: number;
}

export function cpuSnapshot(pid: number): CpuSnapshot {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces): state is the 1st, utime the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const processMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  // "cpu user nice system idle iowait irq softirq steal ...": idle and iowait are not busy.
  const total = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = total.reduce((a, b) => a + b, 0) - (total[3] ?? 0) - (total[4] ?? 0);
  return { at: Date.now(), processMs, machineBusyMs: busy * TICK_MS };
}

/** Between two snapshots: the process's and everything else's share of all cores, 0..1. */
export function cpuShares(
  before: CpuSnapshot,
  after: CpuSnapshot,
  cores = os.availableParallelism(),
): { process: number; others: number } {
  const capacity = (after.at - before.at) * cores;
  const process = after.processMs - before.processMs;
  return {
    process: process / capacity,
    others: Math.max(0, after.machineBusyMs - before.machineBusyMs - process) / capacity,
  };
}
