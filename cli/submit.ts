/**
 * @module cli/submit
 * `ferry submit <files...> [--task T] [--wait] [--json] [--concurrency N]`: creates one job per
 * file (POST /uploads), uploads each file to its presigned URL (at most N at a time), and with
 * --wait follows every job until it is final, then prints each result's text (or error).
 */
import path from 'node:path';
import { FerryApiError } from '../core/api-client.ts';
import { formatBytes } from '../core/format-bytes.ts';
import { isFinal, JobStatus } from '../core/job.ts';
import { MEDIA_TYPES, mediaTypeForFileName } from '../core/media-types.ts';
import { MultipartUploadError, type SendPart, uploadMultipart } from '../core/multipart-upload.ts';
import type { Command } from './args.ts';
import type { FerryClient, JobView } from './client.ts';
import { CliConfigError, ExitCode, exitCodeFor, UsageError } from './errors.ts';
import { resultText } from './format.ts';
import type { CliIo } from './io.ts';
import { EtaEstimator, progressLine } from './progress-bar.ts';
import { progressBar, StatusBoard } from './status-board.ts';

/** What happened to one file; printed as JSON with --json. */
export interface SubmitOutcome {
  file: string;
  jobId?: string;
  /** The job's last known status; `ERROR` when the file never became a job or its upload failed. */
  status: JobStatus | 'ERROR';
  error?: string;
  result?: unknown;
}

/** Consecutive failed status polls tolerated while waiting (network blips, 5xx). */
const MAX_POLL_FAILURES = 3;

type SubmitCommand = Extract<Command, { name: 'submit' }>;

interface Input {
  file: string;
  name: string;
  contentType: string;
  /** Bytes. */
  size: number;
  /** Bytes [start, end) of the file: a large file is read a part at a time, never whole. */
  read(start: number, end: number): Promise<Uint8Array>;
}

export async function submit(command: SubmitCommand, client: FerryClient, io: CliIo): Promise<ExitCode> {
  // Every file is checked before the first request, so a typo creates no jobs.
  const inputs = await Promise.all(command.files.map((file) => readInput(file, io)));
  const board = new StatusBoard(io.stderr);
  const uploads = limiter(command.concurrency);

  const outcomes = await Promise.all(
    inputs.map(async (input): Promise<SubmitOutcome> => {
      let jobId: string | undefined;
      try {
        jobId = await uploads(() => createAndUpload(input, command, client, board, io));
        if (!command.wait) return { file: input.file, jobId, status: JobStatus.AwaitingUpload };
        const eta = new EtaEstimator();
        const job = await waitForJob(client, jobId, io, (j) => showStatus(board, input, j, eta));
        const outcome: SubmitOutcome = { file: input.file, jobId, status: job.status };
        if (job.error) outcome.error = job.error;
        if (job.status === JobStatus.Succeeded) outcome.result = await client.result(job);
        return outcome;
      } catch (error) {
        if (exitCodeFor(error) === ExitCode.Usage) throw error;
        if (error instanceof MultipartUploadError) jobId = error.jobId;
        const message = (error as Error).message;
        board.update(input.file, `${input.name}  error: ${message}`, `${input.file}: error: ${message}`);
        return { file: input.file, ...(jobId ? { jobId } : {}), status: 'ERROR', error: message };
      }
    }),
  );

  printOutcomes(outcomes, command, io);
  const ok = outcomes.every((o) => (command.wait ? o.status === JobStatus.Succeeded : o.status !== 'ERROR'));
  return ok ? ExitCode.Ok : ExitCode.Failed;
}

async function readInput(file: string, io: CliIo): Promise<Input> {
  const contentType = mediaTypeForFileName(file)?.contentType;
  if (!contentType) {
    const extensions = MEDIA_TYPES.flatMap((m) => m.extensions);
    throw new UsageError(`Cannot tell the type of "${file}": use one of ${extensions.join(', ')}`);
  }
  const full = path.resolve(io.cwd, file);
  const { fileSize, readRange } = io;
  try {
    const base = { file, name: path.basename(file), contentType };
    if (fileSize && readRange) {
      return { ...base, size: await fileSize(full), read: (start, end) => readRange(full, start, end) };
    }
    const data = await io.readFile(full);
    return { ...base, size: data.length, read: async (start, end) => data.subarray(start, end) };
  } catch (error) {
    throw new UsageError(
      `Cannot read "${file}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

async function createAndUpload(
  input: Input,
  command: SubmitCommand,
  client: FerryClient,
  board: StatusBoard,
  io: CliIo,
) {
  const total = input.size;
  board.update(
    input.file,
    `${input.name}  ${progressBar(0, total)}  ${formatBytes(total)}`,
    `${input.file}: uploading ${formatBytes(total)}`,
  );
  const created = await client.createUpload({
    filename: input.name,
    contentType: input.contentType,
    size: total,
    ...(command.task ? { task: command.task } : {}),
  });
  const showSent = (sent: number) =>
    board.update(
      input.file,
      `${input.name}  ${progressBar(sent, total)}  ${formatBytes(sent)}/${formatBytes(total)}`,
    );
  if (created.upload.method === 'MULTIPART') {
    const plan = created.upload;
    board.update(
      input.file,
      `${input.name}  ${progressBar(0, total)}  0/${plan.partCount} parts`,
      `${input.file}: uploading in ${plan.partCount} parts of ${formatBytes(plan.partSize)}`,
    );
    const interrupt = new AbortController();
    const stopListening = io.onInterrupt?.(() => interrupt.abort());
    try {
      // Read when sent, so at most `concurrency` parts are in memory whatever the file's size.
      const sendPart: SendPart = async (part, _onBytes, signal) => {
        const bytes = await input.read(part.start, part.end);
        return { etag: await client.putPart(part.url, bytes, signal), bytes: bytes.length };
      };
      await uploadMultipart(client, created.jobId, plan, sendPart, {
        signal: interrupt.signal,
        sleep: io.sleep,
        onProgress: (sent, parts) =>
          board.update(
            input.file,
            `${input.name}  ${progressBar(sent, total)}  ${formatBytes(sent)}/${formatBytes(total)}  ${parts}/${plan.partCount} parts`,
            // Plain output: a line per tenth of the parts, not per part (a 50 GiB file has thousands).
            `${input.file}: uploaded ${Math.floor((parts * 10) / plan.partCount) * 10}%`,
          ),
      });
    } finally {
      stopListening?.();
    }
  } else {
    await client.upload(created.upload, await input.read(0, total), showSent);
  }
  board.update(
    input.file,
    `${input.name}  ${created.jobId}  uploaded`,
    `${input.file}: uploaded as job ${created.jobId}`,
  );
  return created.jobId;
}

function showStatus(board: StatusBoard, input: Input, job: JobView, eta: EtaEstimator): void {
  if (job.status === JobStatus.Running && job.progress) {
    const { progress } = job;
    // Plain output (CI logs) gets a line per stage and per tenth of the way, not per poll.
    const tenth = Math.floor(progress.percent / 10) * 10;
    board.update(
      input.file,
      `${input.name}  ${job.jobId}  ${progressLine(progress, eta.update(progress.percent))}`,
      `${input.file}: job ${job.jobId} RUNNING ${progress.stage} ${tenth}%`,
    );
    return;
  }
  const elapsed =
    job.finishedAt && job.startedAt
      ? ` in ${((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000).toFixed(1)} s`
      : '';
  board.update(
    input.file,
    `${input.name}  ${job.jobId}  ${job.status}${elapsed}`,
    `${input.file}: job ${job.jobId} ${job.status}${elapsed}`,
  );
}

/** Polls the job until it is final. Transient failures (network, 5xx) are retried a few times. */
async function waitForJob(
  client: FerryClient,
  jobId: string,
  io: Pick<CliIo, 'sleep' | 'pollIntervalMs' | 'push'>,
  onUpdate: (job: JobView) => void,
): Promise<JobView> {
  // Live over the push channel when it is reachable (each event refreshes the job); the loop
  // below then reads the final job at once, or polls when the channel is unavailable.
  await io.push?.follow([jobId], () => void client.getJob(jobId).then(onUpdate, () => undefined));
  let failures = 0;
  for (;;) {
    try {
      const job = await client.getJob(jobId);
      failures = 0;
      onUpdate(job);
      if (isFinal(job.status)) return job;
    } catch (error) {
      const transient =
        error instanceof CliConfigError || (error instanceof FerryApiError && error.status >= 500);
      if (!transient || ++failures > MAX_POLL_FAILURES) throw error;
    }
    await io.sleep(io.pollIntervalMs);
  }
}

function printOutcomes(outcomes: SubmitOutcome[], command: SubmitCommand, io: CliIo): void {
  if (command.flags.json) {
    io.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
    return;
  }
  for (const outcome of outcomes) {
    if (!command.wait) {
      if (outcome.jobId && outcome.status !== 'ERROR') io.stdout.write(`${outcome.jobId}\t${outcome.file}\n`);
      else io.stderr.write(`ferry: ${outcome.file}: ${outcome.error}\n`);
      continue;
    }
    if (outcome.status === JobStatus.Succeeded) {
      if (outcomes.length > 1) io.stdout.write(`==> ${outcome.file} <==\n`);
      const text = resultText(outcome.result);
      io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    } else {
      io.stderr.write(
        `ferry: ${outcome.file}: ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}\n`,
      );
    }
  }
}

/** Runs at most `n` of the given tasks at a time. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
