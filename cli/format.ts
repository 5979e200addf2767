/**
 * @module cli/format
 * Text output: job summaries, the jobs table, and a result's text.
 */
import type { JobView } from '../core/api/jobs.ts';
import { describeProgress } from './progress-bar.ts';

/**
 * The text of an OCR result: `text` of the result file's `result` (what the worker writes:
 * `{ jobId, task, input, executionProvider, result: { text, lines } }`) or of the object itself;
 * any other result is printed as indented JSON.
 */
export function resultText(result: unknown): string {
  const segments = videoSegments(result);
  if (segments)
    return segments
      .map((s) => `[${clock(s.start)} - ${clock(s.end)}] ${s.text.replaceAll('\n', ' / ')}`)
      .join('\n');
  const textOf = (value: unknown) =>
    value && typeof value === 'object' && typeof (value as { text?: unknown }).text === 'string'
      ? (value as { text: string }).text
      : undefined;
  return (
    textOf((result as { result?: unknown } | null)?.result) ??
    textOf(result) ??
    JSON.stringify(result, null, 2)
  );
}

/** The timeline of a video result (`result.segments`), if `result` is one. */
function videoSegments(result: unknown): { start: number; end: number; text: string }[] | undefined {
  const segments = (result as { result?: { segments?: unknown } } | null)?.result?.segments;
  return Array.isArray(segments) ? (segments as { start: number; end: number; text: string }[]) : undefined;
}

/** 75.5 -> "1:15.5" */
function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s < 10 ? '0' : ''}${Number.isInteger(s) ? s : s.toFixed(1)}`;
}

export function describeJob(job: JobView): string {
  const rows: [string, string | undefined][] = [
    ['Job', job.jobId],
    ['Status', job.status],
    ['Task', job.task],
    ['File', job.key],
    ['Size', job.size !== undefined ? `${job.size} bytes` : undefined],
    ['Created', job.createdAt],
    ['Started', job.startedAt],
    ['Finished', job.finishedAt],
    ['Attempts', job.attempts ? String(job.attempts) : undefined],
    ['Progress', job.progress ? describeProgress(job.progress) : undefined],
    ['Provider', job.executionProvider],
    ['Timings', job.timings ? formatTimings(job.timings) : undefined],
    ['Error', job.error ? `${job.error}${job.errorCode ? ` (${job.errorCode})` : ''}` : undefined],
    ['Result', job.resultKeys?.join(', ') ?? job.resultKey],
    [
      'Webhook',
      job.webhook ? formatWebhook(job.webhook) : job.webhookUrl ? `pending (${job.webhookUrl})` : undefined,
    ],
  ];
  return rows
    .filter((row): row is [string, string] => row[1] !== undefined)
    .map(([label, value]) => `${label.padEnd(9)}${value}`)
    .join('\n');
}

function formatTimings(timings: NonNullable<JobView['timings']>): string {
  return Object.entries(timings)
    .map(([stage, ms]) => `${stage} ${ms} ms`)
    .join(', ');
}

function formatWebhook(webhook: NonNullable<JobView['webhook']>): string {
  const parts = [`${webhook.attempts} attempt${webhook.attempts === 1 ? '' : 's'}`];
  if (webhook.statusCode !== undefined) parts.push(`HTTP ${webhook.statusCode}`);
  if (webhook.error) parts.push(webhook.error);
  return `${webhook.status} (${parts.join(', ')})`;
}

export function jobsTable(jobs: JobView[]): string {
  const header = ['JOB ID', 'STATUS', 'TASK', 'CREATED', 'FILE'];
  const rows = jobs.map((j) => [j.jobId, j.status, j.task, j.createdAt, j.key.split('/').pop() ?? j.key]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}
