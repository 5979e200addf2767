/**
 * @module cli/main
 * The `ferry` command: parses the command line, finds the API, runs one command and returns
 * its exit code (0 all succeeded, 1 a job failed/canceled or a request was refused, 2 usage or
 * configuration). `main` takes its I/O as a parameter, so tests run it with a stubbed fetch.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FerryApiError } from '../core/api-client.ts';
import { JobStatus } from '../core/job.ts';
import { type Command, isOperatorCommand, parseCommandLine, USAGE } from './args.ts';
import { FerryClient } from './client.ts';
import { isAdminCommand, runAdmin } from './clients.ts';
import { resolveApiConfig } from './config.ts';
import { ExitCode, exitCodeFor, UsageError } from './errors.ts';
import { describeJob, jobsTable, resultText } from './format.ts';
import { type CliIo, processIo } from './io.ts';
import { runOperatorCommand } from './operator-command.ts';
import { JobFollower } from './push.ts';
import { submit } from './submit.ts';
import { watch } from './watch.ts';

/** Runs `ferry` with the real process (used by bin.mjs). */
export function run(argv: readonly string[]): Promise<ExitCode> {
  return main(argv, processIo());
}

export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  if (isAdminCommand(argv)) return runAdmin(argv, io);
  try {
    const command = parseCommandLine(argv);
    if (command.name === 'help') {
      io.stdout.write(`${USAGE}\nOperator commands: ferry clients --help\n`);
      return ExitCode.Ok;
    }
    if (command.name === 'version') {
      io.stdout.write(`${await version()}\n`);
      return ExitCode.Ok;
    }
    if (isOperatorCommand(command)) return await runOperatorCommand(command, io);
    const config = await resolveApiConfig({
      flags: command.flags,
      env: io.env,
      cwd: io.cwd,
      readText: async (file) => Buffer.from(await io.readFile(file)).toString('utf8'),
    });
    const push = new JobFollower({
      ...(config.pushUrl ? { url: config.pushUrl } : {}),
      apiKey: config.apiKey,
      stderr: io.stderr,
    });
    try {
      return await runCommand(command, new FerryClient(config, io.fetch), { push, ...io });
    } finally {
      push.stop();
    }
  } catch (error) {
    const code = exitCodeFor(error);
    io.stderr.write(`ferry: ${(error as Error).message}\n`);
    if (error instanceof UsageError) io.stderr.write('Run "ferry --help" for usage.\n');
    return code;
  }
}

type ApiCommand = Exclude<Command, { name: 'help' | 'version' | 'stats' | 'redrive' | 'retry' }>;

async function runCommand(command: ApiCommand, client: FerryClient, io: CliIo): Promise<ExitCode> {
  const json = command.flags.json;
  const print = (value: unknown, text: () => string) =>
    io.stdout.write(`${json ? JSON.stringify(value, null, 2) : text()}\n`);

  switch (command.name) {
    case 'submit':
      return submit(command, client, io);

    case 'watch':
      return watch(command.jobIds, json, client, io);

    case 'status': {
      const job = await client.getJob(command.jobId);
      print(job, () => describeJob(job));
      return job.status === JobStatus.Failed || job.status === JobStatus.Canceled
        ? ExitCode.Failed
        : ExitCode.Ok;
    }

    case 'jobs': {
      const page = await client.listJobs({
        ...(command.status ? { status: command.status } : {}),
        ...(command.limit !== undefined ? { limit: command.limit } : {}),
        ...(command.cursor ? { cursor: command.cursor } : {}),
      });
      print(page, () => (page.jobs.length > 0 ? jobsTable(page.jobs) : 'No jobs.'));
      if (page.cursor && !json) io.stderr.write(`More: ferry jobs --cursor ${page.cursor}\n`);
      return ExitCode.Ok;
    }

    case 'result': {
      const job = await client.getJob(command.jobId);
      if (job.status !== JobStatus.Succeeded) {
        const why = job.error ? `: ${job.error}` : '';
        const hint = isOpen(job.status) ? ' (not finished yet; "ferry status" shows progress)' : '';
        io.stderr.write(`ferry: job ${job.jobId} is ${job.status}${why}${hint}\n`);
        return ExitCode.Failed;
      }
      const result = await client.result(job);
      if (command.output) {
        await io.writeFile(path.resolve(io.cwd, command.output), `${JSON.stringify(result, null, 2)}\n`);
        io.stderr.write(`Wrote ${command.output}\n`);
      } else {
        const text = json ? JSON.stringify(result, null, 2) : resultText(result);
        io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
      return ExitCode.Ok;
    }

    case 'cancel': {
      try {
        const job = await client.cancelJob(command.jobId);
        print(job, () => `Canceled ${job.jobId}`);
        return ExitCode.Ok;
      } catch (error) {
        if (error instanceof FerryApiError && error.status === 409) {
          const status = (error.body as { error?: { status?: string } } | undefined)?.error?.status;
          io.stderr.write(
            `ferry: job ${command.jobId} already finished${status ? ` (${status})` : ''}; nothing to cancel\n`,
          );
          return ExitCode.Failed;
        }
        throw error;
      }
    }
  }
}

function isOpen(status: JobStatus): boolean {
  return status === JobStatus.AwaitingUpload || status === JobStatus.Queued || status === JobStatus.Running;
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
