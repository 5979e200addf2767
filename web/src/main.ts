/**
 * @module web/src/main
 * The Ferry web app, without a framework (a few hundred lines of DOM code did not need one):
 * API key entry, a drop zone that uploads many files with a byte progress bar each, live status
 * from the push channel (polling when it is unreachable), result views (OCR boxes over the image,
 * full text with copy, a clickable timeline for video segments), cancel, and a paged,
 * live-updating jobs list. It talks to the API only through the package's typed client.
 */

import type { PushEvent } from '../../core/api/push-events.ts';
import type { OcrResult, VideoSegments } from '../../core/api/results.ts';
import {
  FerryApi,
  FerryApiError,
  type JobView,
  type MultipartPlan,
  PushWatcher,
  type UploadTarget,
} from '../../core/api-client.ts';
import { isFinal } from '../../core/job.ts';
import { type SendPart, uploadMultipart } from '../../core/multipart-upload.ts';
import './style.css';

interface AppConfig {
  apiUrl: string;
  pushUrl?: string;
  /** Only in local mode: the local stack's key. */
  apiKey?: string;
}
/** An image's OCR result or a video's segments (core/api/results.ts). */
type ResultDoc = Partial<OcrResult & VideoSegments>;
interface UploadRow {
  jobId?: string;
  file: File;
  li: HTMLLIElement;
  status: HTMLSpanElement;
  bar: HTMLProgressElement;
  cancel: HTMLButtonElement;
  view: HTMLButtonElement;
  /** Aborts a multipart upload still in progress (Cancel then deletes its parts). */
  uploading?: AbortController;
}

const KEY_STORAGE = 'ferry.apiKey';
const PAGE_SIZE = 10;
const POLL_MS = 2000;
/** Parts of a large file in flight at once. */
const PART_CONCURRENCY = 4;

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}) =>
  Object.assign(document.createElement(tag), props);

const rows = new Map<string, UploadRow>();
let config: AppConfig;
let api: FerryApi | undefined;
let watcher: PushWatcher | undefined;
let polling: number | undefined;
let cursors: (string | undefined)[] = [undefined];
let page = 0;

async function main(): Promise<void> {
  config = await fetch('./config.json')
    .then((r) => (r.ok ? (r.json() as Promise<AppConfig>) : { apiUrl: '' }))
    .catch(() => ({ apiUrl: '' }));
  // Deployed as a static site, the URLs come from the build (infra/push.ts); locally from config.json.
  config.apiUrl ||= import.meta.env.VITE_FERRY_API_URL || location.origin;
  config.pushUrl ||= import.meta.env.VITE_FERRY_PUSH_URL || undefined;
  const key = localStorage.getItem(KEY_STORAGE) ?? config.apiKey ?? '';
  $<HTMLInputElement>('#api-key').value = key;
  $('#key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $<HTMLInputElement>('#api-key').value.trim();
    localStorage.setItem(KEY_STORAGE, value);
    void useKey(value);
  });
  wireDropZone();
  $('#status-filter').addEventListener('change', () => {
    cursors = [undefined];
    page = 0;
    void loadJobs();
  });
  $('#next-page').addEventListener('click', () => void loadJobs(1));
  $('#prev-page').addEventListener('click', () => void loadJobs(-1));
  if (key) await useKey(key);
  else say('Enter your API key to start');
}

function say(text: string): void {
  $('#key-status').textContent = text;
}

async function useKey(key: string): Promise<void> {
  api = new FerryApi({ apiUrl: config.apiUrl, apiKey: key });
  watcher?.stop();
  watcher = undefined;
  await loadJobs();
  if (!config.pushUrl) return startPolling('no push channel configured');
  const w = new PushWatcher({
    url: config.pushUrl,
    apiKey: key,
    socket: (url) => new WebSocket(url),
    onEvent,
  });
  try {
    await w.connect();
    w.subscribe({ all: true });
    watcher = w;
    say('Live');
  } catch {
    startPolling('live updates unavailable');
  }
  w.closed.catch(() => startPolling('lost the live channel'));
}

/** Polling fallback, announced once. */
function startPolling(reason: string): void {
  if (polling !== undefined) return;
  say(`${reason}; checking every ${POLL_MS / 1000} s`);
  polling = window.setInterval(async () => {
    for (const row of rows.values()) {
      if (!row.jobId || isFinal(row.status.textContent ?? '')) continue;
      const job = await api?.getJob(row.jobId).catch(() => undefined);
      if (job)
        onEvent({
          type: 'status',
          jobId: job.jobId,
          status: job.status,
          at: job.updatedAt,
          ...(job.error ? { error: job.error } : {}),
        });
    }
  }, POLL_MS);
}

function onEvent(event: PushEvent): void {
  const row = rows.get(event.jobId);
  // The snapshot that answers the subscription says AWAITING_UPLOAD: the row knows better while sending.
  const stale = event.status === 'AWAITING_UPLOAD' && row?.status.textContent === 'UPLOADING';
  if (row && !stale) showStatus(row, event.status, event.error, event.progress?.percent);
  const cell = document.querySelector<HTMLElement>(`#jobs tr[data-job="${event.jobId}"] .status`);
  if (cell) {
    cell.textContent = event.status;
    cell.className = `status ${event.status}`;
  } else if (page === 0) scheduleReload();
}

let reload: number | undefined;
function scheduleReload(): void {
  window.clearTimeout(reload);
  reload = window.setTimeout(() => void loadJobs(), 300);
}

function wireDropZone(): void {
  const zone = $('#drop-zone');
  const input = $<HTMLInputElement>('#file-input');
  // A button: Enter and Space open the picker too.
  zone.addEventListener('click', () => input.click());
  for (const type of ['dragenter', 'dragover'])
    zone.addEventListener(type, (e) => {
      e.preventDefault();
      zone.classList.add('over');
    });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    addFiles([...((e as DragEvent).dataTransfer?.files ?? [])]);
  });
  input.addEventListener('change', () => {
    addFiles([...(input.files ?? [])]);
    input.value = '';
  });
}

function addFiles(files: File[]): void {
  if (!api) {
    say('Enter your API key first');
    return;
  }
  for (const file of files) void upload(file);
}

function showStatus(row: UploadRow, status: string, error?: string, percent?: number): void {
  row.status.textContent = status;
  row.status.className = `status ${status}`;
  row.li.dataset.status = status;
  if (percent !== undefined) row.bar.value = percent / 100;
  row.cancel.hidden = isFinal(status);
  row.view.hidden = status !== 'SUCCEEDED';
  if (error && !row.li.querySelector('.error'))
    row.li.append(el('span', { className: 'error', textContent: error }));
}

async function upload(file: File): Promise<void> {
  const li = el('li');
  const row: UploadRow = {
    file,
    li,
    status: el('span', { className: 'status', textContent: 'starting' }),
    bar: el('progress', { max: 1, value: 0 }),
    cancel: el('button', { type: 'button', textContent: 'Cancel', hidden: true }),
    view: el('button', { type: 'button', textContent: 'Show result', hidden: true }),
  };
  row.bar.setAttribute('aria-label', `Upload of ${file.name}`);
  li.append(
    el('span', { className: 'name', textContent: file.name }),
    row.bar,
    row.status,
    row.cancel,
    row.view,
  );
  $('#uploads').append(li);
  try {
    const created = await (api as FerryApi).createUpload({
      filename: file.name,
      contentType: file.type || 'application/octet-stream',
      size: file.size,
    });
    row.jobId = created.jobId;
    li.dataset.job = created.jobId;
    rows.set(created.jobId, row);
    row.cancel.hidden = false;
    row.cancel.addEventListener('click', () => void cancel(row));
    row.view.addEventListener('click', () => void showResult(row.jobId as string, file));
    // Subscribe before the upload lands, so the QUEUED change is seen live.
    watcher?.subscribe({ jobIds: [created.jobId] });
    showStatus(row, 'UPLOADING');
    const onProgress = (fraction: number) => {
      row.bar.value = fraction;
    };
    if (created.upload.method === 'MULTIPART') {
      row.uploading = new AbortController();
      await putParts(created.jobId, created.upload, file, row.uploading.signal, onProgress);
      row.uploading = undefined;
    } else await put(created.upload, file, onProgress);
    if (row.status.textContent === 'UPLOADING') showStatus(row, 'UPLOADED');
  } catch (error) {
    // Canceled while its parts were going up: the upload was aborted and the job CANCELED.
    if (row.uploading?.signal.aborted) showStatus(row, 'CANCELED');
    else showStatus(row, 'FAILED', error instanceof Error ? error.message : String(error));
  }
}

/** A large file in parts (see core/multipart-upload.ts), each part PUT with XHR for byte progress. */
function putParts(
  jobId: string,
  plan: MultipartPlan,
  file: File,
  signal: AbortSignal,
  onProgress: (fraction: number) => void,
): Promise<void> {
  const sendPart: SendPart = (part, onBytes, partSignal) =>
    new Promise((resolve, reject) => {
      const body = file.slice(part.start, part.end);
      const xhr = new XMLHttpRequest();
      const abort = () => xhr.abort();
      partSignal?.addEventListener('abort', abort, { once: true });
      const settle = () => partSignal?.removeEventListener('abort', abort);
      xhr.upload.addEventListener('progress', (e) => onBytes(e.loaded));
      xhr.addEventListener('load', () => {
        settle();
        // Readable only when the bucket's CORS exposes it (core/config.ts BUCKET_CORS).
        const etag = xhr.getResponseHeader('ETag');
        if (xhr.status >= 300)
          reject(new Error(`Storage refused part ${part.partNumber} (HTTP ${xhr.status})`));
        else if (!etag) reject(new Error('Storage sent no ETag for a part: its CORS must expose ETag'));
        else resolve({ etag, bytes: body.size });
      });
      xhr.addEventListener('error', () => {
        settle();
        reject(new Error(`Part ${part.partNumber} failed: network error`));
      });
      xhr.addEventListener('abort', () => {
        settle();
        reject(new DOMException('The upload was canceled', 'AbortError'));
      });
      xhr.open('PUT', part.url);
      xhr.send(body);
    });
  return uploadMultipart(api as FerryApi, jobId, plan, sendPart, {
    concurrency: PART_CONCURRENCY,
    signal,
    sleep: (ms) => new Promise((resolve) => window.setTimeout(resolve, ms)),
    onProgress: (sent) => onProgress(sent / file.size),
  });
}

/** XHR, not fetch: only XHR reports upload progress in browsers. */
function put(
  target: Exclude<UploadTarget, MultipartPlan>,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.upload.addEventListener('progress', (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener('load', () =>
      xhr.status < 300 ? resolve() : reject(new Error(`Storage refused the upload (HTTP ${xhr.status})`)),
    );
    xhr.addEventListener('error', () => reject(new Error('The upload failed: network error')));
    if (target.method === 'PUT') {
      xhr.open('PUT', target.url);
      for (const [name, value] of Object.entries(target.headers)) xhr.setRequestHeader(name, value);
      xhr.send(file);
    } else {
      const form = new FormData();
      for (const [name, value] of Object.entries(target.fields)) form.append(name, value);
      form.append('file', file);
      xhr.open('POST', target.url);
      xhr.send(form);
    }
  });
}

async function cancel(row: UploadRow): Promise<void> {
  // Still sending parts: aborting makes the upload DELETE /uploads/{jobId} (parts gone, job CANCELED).
  if (row.uploading) {
    row.uploading.abort();
    return;
  }
  try {
    const job = await (api as FerryApi).cancelJob(row.jobId as string);
    showStatus(row, job.status);
  } catch (error) {
    if (error instanceof FerryApiError) showStatus(row, row.status.textContent ?? '', error.message);
  }
}

async function showResult(jobId: string, file?: File): Promise<void> {
  const section = $('#result');
  const body = $('#result-body');
  section.hidden = false;
  body.replaceChildren(el('p', { textContent: 'Loading…' }));
  try {
    const job = await (api as FerryApi).getJob(jobId);
    const doc = await resultOf(job);
    body.replaceChildren(...renderResult(job, doc, file));
    section.scrollIntoView({ block: 'nearest' });
  } catch (error) {
    body.replaceChildren(
      el('p', { className: 'error', textContent: `Cannot show the result: ${(error as Error).message}` }),
    );
  }
}

async function resultOf(job: JobView): Promise<ResultDoc> {
  if (!job.result) throw new Error(`the job is ${job.status}`);
  const envelope = (job.result.data ?? (await fetch(job.result.url).then((r) => r.json()))) as {
    result?: ResultDoc;
  };
  return envelope.result ?? {};
}

function renderResult(job: JobView, doc: ResultDoc, file?: File): HTMLElement[] {
  const out: HTMLElement[] = [el('h3', { textContent: job.key.split('/').pop() ?? job.jobId })];
  const isVideo = file?.type.startsWith('video/') ?? job.contentType?.startsWith('video/');
  const figure = el('div', { className: 'figure' });
  const info = el('p', { id: 'line-info', textContent: 'Hover or focus a box to read its line.' });
  info.setAttribute('aria-live', 'polite');
  if (file && isVideo) {
    const video = el('video', { src: URL.createObjectURL(file), controls: true });
    figure.append(video);
    if (doc.segments?.length) {
      const timeline = el('div', { className: 'timeline' });
      timeline.setAttribute('aria-label', 'Segments');
      for (const s of doc.segments) {
        const b = el('button', {
          type: 'button',
          textContent: `${s.start.toFixed(1)}s ${s.text}`.trim(),
        });
        b.addEventListener('click', () => {
          video.currentTime = s.start;
        });
        timeline.append(b);
      }
      out.push(figure, timeline);
    } else out.push(figure);
  } else {
    if (file) figure.append(el('img', { src: URL.createObjectURL(file), alt: `Uploaded ${file.name}` }));
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', `0 0 ${doc.width ?? 1} ${doc.height ?? 1}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    for (const line of doc.lines ?? []) {
      const poly = document.createElementNS(ns, 'polygon');
      poly.setAttribute('points', line.box.map(([x, y]) => `${x},${y}`).join(' '));
      poly.setAttribute('tabindex', '0');
      poly.setAttribute('class', 'ocr-box');
      const label = `${line.text} (confidence ${(line.confidence * 100).toFixed(0)}%)`;
      poly.setAttribute('aria-label', label);
      const title = document.createElementNS(ns, 'title');
      title.textContent = label;
      poly.append(title);
      for (const type of ['mouseenter', 'focus'])
        poly.addEventListener(type, () => (info.textContent = label));
      svg.append(poly);
    }
    if (!file) figure.style.aspectRatio = `${doc.width ?? 4} / ${doc.height ?? 3}`;
    if (!file) figure.style.width = '100%';
    figure.append(svg);
    out.push(figure, info);
  }
  // A video's result has no single text: its segments' text, in order, is the full text.
  const text = doc.text ?? doc.segments?.map((s) => s.text).join('\n') ?? '';
  const copy = el('button', { type: 'button', textContent: 'Copy text' });
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(text).then(() => (copy.textContent = 'Copied'));
  });
  out.push(
    el('h4', { textContent: 'Full text' }),
    el('pre', { className: 'full-text', textContent: text || '(no text found)' }),
    copy,
  );
  return out;
}

/** Page `page` of the list; `cursors[i]` opens page i (undefined for the first). */
async function loadJobs(step = 0): Promise<void> {
  if (!api) return;
  const target = Math.max(0, page + step);
  const status = $<HTMLSelectElement>('#status-filter').value;
  const errorBox = $('#jobs-error');
  try {
    const list = await api.listJobs({
      limit: PAGE_SIZE,
      ...(status ? { status: status as JobView['status'] } : {}),
      ...(cursors[target] ? { cursor: cursors[target] } : {}),
    });
    page = target;
    cursors = [...cursors.slice(0, page + 1), list.cursor];
    errorBox.hidden = true;
    const tbody = $('#jobs tbody');
    tbody.replaceChildren(
      ...list.jobs.map((job) => {
        const tr = el('tr');
        tr.dataset.job = job.jobId;
        const view = el('button', { type: 'button', textContent: 'Show' });
        view.addEventListener('click', () => void showResult(job.jobId, rows.get(job.jobId)?.file));
        const actions = el('td');
        if (job.status === 'SUCCEEDED') actions.append(view);
        tr.append(
          el('td', { textContent: new Date(job.createdAt).toLocaleString() }),
          el('td', { textContent: job.key.split('/').pop() ?? '' }),
          el('td', { className: `status ${job.status}`, textContent: job.status, title: job.error ?? '' }),
          actions,
        );
        return tr;
      }),
    );
    $('#jobs-empty').hidden = list.jobs.length > 0;
    $<HTMLButtonElement>('#prev-page').disabled = page === 0;
    $<HTMLButtonElement>('#next-page').disabled = !list.cursor;
  } catch (error) {
    errorBox.hidden = false;
    errorBox.textContent =
      error instanceof FerryApiError && (error.status === 401 || error.status === 403)
        ? 'That API key was refused: check it and try again.'
        : `Cannot load jobs: ${(error as Error).message}`;
  }
}

void main();
