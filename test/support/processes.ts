/**
 * @module test/support/processes
 * Which processes are running with a given argument (Linux /proc), so a test can check that a
 * child it had a module start (ffprobe, ffmpeg) is gone, not left running.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Pids of running processes with `arg` as one of their arguments (zombies have no arguments). */
export async function pidsWithArg(arg: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(arg)) pids.push(Number(entry));
  }
  return pids;
}
