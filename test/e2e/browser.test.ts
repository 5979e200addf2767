/**
 * The web app in a real Chromium (playwright-core driving Debian's chromium) against a local
 * stack like `npm start`'s: the emulator with ingest and the push channel deployed, the local
 * API serving the built app, and the real GPU worker (CPU, real OCR). A file picked while no
 * worker runs is canceled while QUEUED; then three images and one corrupt file are dropped: the
 * images reach SUCCEEDED live with their OCR boxes drawn, the corrupt one FAILED with its
 * sentence. Then an 11 MiB video goes up as a multipart upload (the API's threshold is lowered to
 * 6 MiB, 5 MiB parts), the worker reads it, and its result view shows the clickable segment
 * timeline; another, whose first part fails once and second part hangs, retries the first and is
 * canceled mid-upload (the upload aborted, no part left). Screenshots go to test-artifacts/web/.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { type Browser, chromium, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalApi, startLocalApi } from '../../functions/api/local-server.ts';
import { ensureWebBuild } from '../../scripts/local/web-build.ts';
import { chromiumPath } from '../support/chromium.ts';
import { createTestStack, type TestStack } from '../support/local-stack.ts';
import { addPushChannel } from '../support/push.ts';
import { slideVideo } from '../support/test-videos.ts';
import { renderTextImage } from '../support/text-images.ts';
import { startWorker, type WorkerProcess } from '../support/worker-process.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/web');
let stack: TestStack;
let api: LocalApi;
let browser: Browser;
let page: Page;
let worker: WorkerProcess | undefined;
const MiB = 1024 * 1024;

beforeAll(async () => {
  const executablePath = chromiumPath();
  stack = await createTestStack();
  const [push, webDir] = await Promise.all([addPushChannel(stack), ensureWebBuild()]);
  Object.assign(process.env, stack.env, {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    // Small enough that the video below goes up in parts, as a file of gigabytes would.
    FERRY_MULTIPART_THRESHOLD_BYTES: String(6 * MiB),
    FERRY_MULTIPART_PART_BYTES: String(5 * MiB),
  });
  api = await startLocalApi({
    web: { dir: webDir, config: { pushUrl: push.pushUrl, apiKey: stack.client.apiKey } },
  });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await api?.close();
});

const row = (name: string) => page.locator('#uploads li', { hasText: name });
const statusOf = (name: string) => row(name).locator('.status').textContent();

async function drop(files: { name: string; type: string; data: Buffer }[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, type: f.type, b64: f.data.toString('base64') }));
  const dataTransfer = await page.evaluateHandle((list) => {
    // Runs in the page, where DataTransfer exists (this file is compiled without the DOM types).
    const page = globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } };
    const dt = new page.DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, payload);
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
}

describe('web app in Chromium', () => {
  it('uploads, shows live status and results, fails a bad file, cancels a queued job', {
    timeout: 240_000,
  }, async () => {
    await page.goto(`${api.url}/`);
    // Local mode: the key came from config.json, and the push channel is live.
    await expect.poll(() => page.locator('#key-status').textContent(), { timeout: 20_000 }).toBe('Live');
    await page.screenshot({ path: path.join(ARTIFACTS, '0-empty.png') });

    // With no worker running, a picked file stays QUEUED: cancel it there.
    await page.setInputFiles('#file-input', {
      name: 'fourth.png',
      mimeType: 'image/png',
      buffer: await renderTextImage({ lines: ['Cancel me'], width: 640, height: 240 }),
    });
    await expect.poll(() => statusOf('fourth.png'), { timeout: 30_000 }).toBe('QUEUED');
    await row('fourth.png').getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => statusOf('fourth.png'), { timeout: 15_000 }).toBe('CANCELED');

    worker = await startWorker(stack.env);
    const images = await Promise.all(
      [
        ['Ferry carries files', 'across the water'],
        ['Invoice 2024 total 42'],
        ['Hello from the browser', 'three lines of text', 'read by the worker'],
      ].map(async (lines, i) => ({
        name: `page-${i + 1}.png`,
        type: 'image/png',
        data: await renderTextImage({ lines, width: 800, height: 300, seed: i + 1 }),
      })),
    );
    await drop([
      ...images,
      { name: 'broken.png', type: 'image/png', data: Buffer.from('this is not a PNG at all') },
    ]);

    for (const image of images) {
      await expect.poll(() => statusOf(image.name), { timeout: 120_000 }).toBe('SUCCEEDED');
    }
    await expect.poll(() => statusOf('broken.png'), { timeout: 60_000 }).toBe('FAILED');
    const sentence = await row('broken.png').locator('.error').textContent();
    expect(sentence?.length ?? 0).toBeGreaterThan(10);
    // Live: no fallback to polling was announced.
    expect(await page.locator('#key-status').textContent()).toBe('Live');

    for (const [i, image] of images.entries()) {
      await row(image.name).getByRole('button', { name: 'Show result' }).click();
      await expect.poll(() => page.locator('#result h3').textContent()).toBe(image.name);
      const boxes = page.locator('#result .ocr-box');
      await expect.poll(() => boxes.count()).toBeGreaterThan(0);
      await boxes.first().hover();
      expect(await page.locator('#line-info').textContent()).toContain('confidence');
      expect(await page.locator('#result .full-text').textContent()).not.toBe('(no text found)');
      await page.locator('#result').screenshot({ path: path.join(ARTIFACTS, `result-${i + 1}.png`) });
    }
    // The jobs list shows every job, newest first, live.
    await expect.poll(() => page.locator('#jobs tbody tr').count(), { timeout: 10_000 }).toBe(5);
    expect(await page.locator('#jobs tbody tr').last().textContent()).toContain('fourth.png');
    await page.screenshot({ path: path.join(ARTIFACTS, 'page.png'), fullPage: true });
  });

  it('sends a large video in parts and shows its segment timeline', { timeout: 180_000 }, async () => {
    const { slides, bytes } = await bigVideo();
    const parts: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (r.method() === 'PUT' && url.searchParams.has('partNumber'))
        parts.push(url.searchParams.get('partNumber') ?? '');
    });
    await page.setInputFiles('#file-input', {
      name: 'talk.mp4',
      mimeType: 'video/mp4',
      buffer: bytes,
    });
    await expect.poll(() => statusOf('talk.mp4'), { timeout: 150_000 }).toBe('SUCCEEDED');
    expect(parts.sort()).toEqual(['1', '2', '3']);
    expect(await row('talk.mp4').locator('.error').count()).toBe(0);

    await row('talk.mp4').getByRole('button', { name: 'Show result' }).click();
    await expect.poll(() => page.locator('#result h3').textContent()).toBe('talk.mp4');
    const segments = page.locator('#result .timeline button');
    await expect.poll(() => segments.count()).toBeGreaterThanOrEqual(slides.length - 1);
    expect(await segments.allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\d+\.\ds Slide \d/)]),
    );
    // A segment's button seeks the video to where that text starts.
    const last = segments.last();
    const start = Number.parseFloat((await last.textContent()) ?? '');
    expect(start).toBeGreaterThan(0);
    await last.click();
    await expect
      .poll(() =>
        page.locator('#result video').evaluate((v) => (v as unknown as { currentTime: number }).currentTime),
      )
      .toBeCloseTo(start, 0);
    expect(await page.locator('#result .full-text').textContent()).toMatch(/Slide/);
    await page.locator('#result').screenshot({ path: path.join(ARTIFACTS, 'result-video.png') });
  });

  it('retries a failed part, and Cancel aborts an upload in parts', { timeout: 60_000 }, async () => {
    const tries = new Map<number, number>();
    let held: Route | undefined;
    const deletes: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'DELETE') deletes.push(new URL(r.url()).pathname);
    });
    await page.route(
      (url) => url.searchParams.has('partNumber'),
      async (route) => {
        const part = Number(new URL(route.request().url()).searchParams.get('partNumber'));
        tries.set(part, (tries.get(part) ?? 0) + 1);
        if (part === 1 && tries.get(part) === 1) return route.abort('failed');
        if (part === 2) {
          held = route;
          return;
        }
        return route.continue();
      },
    );
    await page.setInputFiles('#file-input', {
      name: 'cancel-me.mp4',
      mimeType: 'video/mp4',
      buffer: (await bigVideo()).bytes,
    });
    await expect.poll(() => tries.get(1), { timeout: 20_000 }).toBe(2);
    expect(await statusOf('cancel-me.mp4')).toBe('UPLOADING');
    await row('cancel-me.mp4').getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => statusOf('cancel-me.mp4'), { timeout: 15_000 }).toBe('CANCELED');
    await held?.abort().catch(() => undefined);
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    const jobId = String(await row('cancel-me.mp4').getAttribute('data-job'));
    expect(deletes).toContain(`/uploads/${jobId}`);
    const job = await stack.jobs.get(jobId);
    expect(job?.status).toBe('CANCELED');
    const open = await stack.aws.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.outputs.bucket }));
    expect((open.Uploads ?? []).filter((u) => u.Key === job?.key)).toEqual([]);
  });
});

/** An 8 s slide video padded to 11 MiB with a trailing MP4 `free` box (every MP4 reader skips it). */
async function bigVideo() {
  const { slides, file } = await slideVideo({ duration: 8, slideSec: 2, width: 640, height: 360 });
  const video = await readFile(file);
  const free = Buffer.alloc(11 * MiB - video.length);
  free.writeUInt32BE(free.length);
  free.write('free', 4, 'latin1');
  return { slides, bytes: Buffer.concat([video, free]) };
}
