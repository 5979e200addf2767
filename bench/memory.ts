/**
 * @module bench/memory
 * Peak resident memory of a process tree from /proc (Linux only). VmHWM is the kernel's own
 * high-water mark of the process's resident set; worker_threads share their process's memory,
 * so one reading covers every inference thread without sampling.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  pid: number;
  command: string;
  /** Peak resident set, MiB. */
  peakMiB: number;
  /** Resident set now, MiB. */
  rssMiB: number;
}

/** `pid` and all its descendants (tsx runs the script in a child process of its CLI). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = safeRead(`/proc/${entry}/stat`);
    // The command may contain spaces and parentheses: the ppid is the 2nd field after the last ")".
    const ppid = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isFinite(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const all: number[] = [];
  const walk = (p: number) => {
    all.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return all;
}

export function processMemory(pid: number): ProcessMemory | undefined {
  const status = safeRead(`/proc/${pid}/status`);
  if (!status) return undefined;
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const command = (safeRead(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).slice(-1)[0] ?? '';
  return { pid, command, peakMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024 };
}

/** Memory of every process in the tree, largest peak first. Read it before the process exits. */
export function treeMemory(pid: number): ProcessMemory[] {
  return processTree(pid)
    .flatMap((p) => processMemory(p) ?? [])
    .sort((a, b) => b.peakMiB - a.peakMiB);
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
