/**
 * @module cli/watch
 * `ferry watch [jobIds...]`: prints one line per change of each job (status, progress, error)
 * until all named jobs are final; without ids, every change of the client's jobs until
 * interrupted. Live over the push channel; polls when it is unavailable. `--json`: one event
 * per line.
 */

import type { PushEvent } from '../core/api/push-events.ts';
import { isFinal, JobStatus } from '../core/job.ts';
import type { FerryClient } from './client.ts';
import { ExitCode } from './errors.ts';
import type { CliIo } from './io.ts';

export async function watch(
  jobIds: string[],
  json: boolean,
  client: FerryClient,
  io: CliIo,
): Promise<ExitCode> {
  const finals = new Map<string, JobStatus>();
  const print = (event: PushEvent) => {
    if (isFinal(event.status)) finals.set(event.jobId, event.status);
    io.stdout.write(`${json ? JSON.stringify(event) : line(event)}\n`);
  };
  const outcome = (await io.push?.follow(jobIds, print)) ?? 'unavailable';
  if (outcome === 'unavailable') {
    if (jobIds.length === 0) {
      io.stderr.write('ferry: watching all jobs needs the push channel; name job ids to poll them\n');
      return ExitCode.Failed;
    }
    await poll(jobIds, client, io, print);
  }
  const failed = jobIds.some((id) => finals.get(id) !== JobStatus.Succeeded);
  return failed ? ExitCode.Failed : ExitCode.Ok;
}

async function poll(
  jobIds: string[],
  client: FerryClient,
  io: CliIo,
  print: (event: PushEvent) => void,
): Promise<void> {
  const last = new Map<string, string>();
  const open = new Set(jobIds);
  while (open.size > 0) {
    for (const jobId of [...open]) {
      const job = await client.getJob(jobId);
      const seen = `${job.status}|${job.updatedAt}`;
      if (last.get(jobId) !== seen) {
        last.set(jobId, seen);
        print({
          type: isFinal(job.status) ? 'final' : 'status',
          jobId,
          status: job.status,
          at: job.updatedAt,
          ...(job.error ? { error: job.error } : {}),
          ...(job.resultKey ? { resultKey: job.resultKey } : {}),
        });
      }
      if (isFinal(job.status)) open.delete(jobId);
    }
    if (open.size > 0) await io.sleep(io.pollIntervalMs);
  }
}

function line(event: PushEvent): string {
  const percent = event.progress?.percent !== undefined ? ` ${Math.round(event.progress.percent)}%` : '';
  const error = event.error ? ` ${event.error}` : '';
  return `${event.at} ${event.jobId} ${event.status}${percent}${error}`;
}
