/** `ferry` commands end to end against a stubbed API: output and exit codes. */
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { capture, json, type StubRequest, stubFetch, testIo } from '../../support/cli.ts';

const JOB_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const JOB_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const PNG = new Uint8Array(200_000).fill(7);

function job(jobId: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    jobId,
    status,
    task: 'ocr',
    key: `uploads/${jobId}/page.png`,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    attempts: status === 'QUEUED' ? 0 : 1,
    ...extra,
  };
}

/**
 * A fake API: POST /uploads hands out JOB_A, JOB_B... in order; GET /jobs/{id} walks through
 * `statuses[id]`, one step per poll; PUTs to storage succeed unless `storageStatus` says otherwise.
 */
function fakeApi(
  options: {
    statuses?: Record<string, ReturnType<typeof job>[]>;
    storageStatus?: number;
    uploadsStatus?: number;
  } = {},
) {
  const ids = [JOB_A, JOB_B];
  const polls: Record<string, number> = {};
  let inFlight = 0;
  let maxInFlight = 0;
  const stub = stubFetch(async (req: StubRequest) => {
    if (req.url.host === 'storage.test') {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (req.method === 'GET') return json(200, { text: 'downloaded text' });
      return new Response('', { status: options.storageStatus ?? 200 });
    }
    const path = req.url.pathname;
    if (req.method === 'POST' && path === '/uploads') {
      if (options.uploadsStatus) {
        return json(options.uploadsStatus, {
          error: { code: 'FORBIDDEN', message: 'The API key is not valid' },
        });
      }
      const jobId = ids.shift() as string;
      const body = req.body as { filename: string; contentType: string; size: number };
      return json(201, {
        jobId,
        status: 'AWAITING_UPLOAD',
        task: 'ocr',
        key: `uploads/${jobId}/${body.filename}`,
        upload: {
          method: 'PUT',
          url: `https://storage.test/${jobId}?X-Amz-Signature=x`,
          headers: { 'Content-Type': body.contentType, 'Content-Length': String(body.size) },
        },
        expiresAt: '2026-01-01T00:15:00.000Z',
      });
    }
    const match = /^\/jobs\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && match?.[1]) {
      const steps = options.statuses?.[match[1]];
      if (!steps)
        return json(404, { error: { code: 'JOB_NOT_FOUND', message: `Job ${match[1]} does not exist` } });
      const i = Math.min(polls[match[1]] ?? 0, steps.length - 1);
      polls[match[1]] = i + 1;
      return json(200, steps[i]);
    }
    return json(404, { error: { code: 'NOT_FOUND', message: 'no route' } });
  });
  return { ...stub, maxInFlight: () => maxInFlight };
}

/** `data: null` leaves the result out of the response, as the API does for large results. */
const succeeded = (jobId: string, data: unknown = { text: `text of ${jobId}` }) =>
  job(jobId, 'SUCCEEDED', {
    resultKey: `results/${jobId}.json`,
    startedAt: '2026-01-01T00:00:01.000Z',
    finishedAt: '2026-01-01T00:00:02.500Z',
    result: {
      url: `https://storage.test/results/${jobId}.json`,
      expiresAt: 'x',
      ...(data === null ? {} : { data }),
    },
  });

describe('ferry submit', () => {
  it('uploads each file to its presigned URL and prints the job ids (exit 0)', async () => {
    const api = fakeApi();
    const io = testIo(api.fetch, { files: { '/work/page.png': PNG, '/work/scans/b.JPG': 'jpeg' } });
    expect(await main(['submit', 'page.png', 'scans/b.JPG', '--task', 'ocr'], io)).toBe(0);

    const creates = api.requests.filter((r) => r.url.pathname === '/uploads');
    expect(creates.map((r) => r.body)).toEqual([
      { filename: 'page.png', contentType: 'image/png', size: PNG.length, task: 'ocr' },
      { filename: 'b.JPG', contentType: 'image/jpeg', size: 4, task: 'ocr' },
    ]);
    expect(creates[0]?.headers.get('authorization')).toBe('Bearer cli-test-key');
    const puts = api.requests.filter((r) => r.method === 'PUT');
    const pngPut = puts.find((r) => r.url.pathname === `/${JOB_A}`);
    expect(puts.map((r) => r.bytes).sort()).toEqual([PNG.length, 4].sort());
    expect(pngPut?.bytes).toBe(PNG.length);
    expect(pngPut?.headers.get('content-type')).toBe('image/png');
    expect(pngPut?.headers.get('content-length')).toBe(String(PNG.length));
    expect(pngPut?.headers.get('authorization')).toBeNull();
    expect(io.stdout.text).toBe(`${JOB_A}\tpage.png\n${JOB_B}\tscans/b.JPG\n`);
    // Not a terminal: plain progress lines, no carriage returns or escape codes.
    expect(io.stderr.text).toContain('page.png: uploading 195.3 KiB');
    expect(io.stderr.text).toContain(`page.png: uploaded as job ${JOB_A}`);
    expect(io.stderr.text).not.toContain('\r');
    expect(io.stderr.text).not.toContain('\u001b');
  });

  it('draws a progress bar on a terminal', async () => {
    const api = fakeApi();
    const io = testIo(api.fetch, { files: { '/work/page.png': PNG }, stderr: capture(true) });
    expect(await main(['submit', 'page.png'], io)).toBe(0);
    expect(io.stderr.text).toContain('\x1b[2K');
    expect(io.stderr.text).toContain('[####################] 100%');
  });

  it('waits, follows the status and prints the result text (exit 0)', async () => {
    const api = fakeApi({
      statuses: { [JOB_A]: [job(JOB_A, 'QUEUED'), job(JOB_A, 'RUNNING'), succeeded(JOB_A)] },
    });
    const io = testIo(api.fetch, { files: { '/work/page.png': PNG } });
    expect(await main(['submit', 'page.png', '--wait'], io)).toBe(0);
    expect(io.stdout.text).toBe(`text of ${JOB_A}\n`);
    expect(io.stderr.text).toContain(`job ${JOB_A} QUEUED`);
    expect(io.stderr.text).toContain(`job ${JOB_A} RUNNING`);
    expect(io.stderr.text).toContain(`job ${JOB_A} SUCCEEDED in 1.5 s`);
  });

  it("draws a running job's progress with its stage and units on a terminal, and a line per tenth otherwise", async () => {
    const running = (done: number, percent: number) =>
      job(JOB_A, 'RUNNING', { progress: { stage: 'inferring', done, total: 90, percent } });
    const statuses = { [JOB_A]: [running(45, 52), running(60, 67), succeeded(JOB_A)] };
    const terminal = capture(true);
    terminal.columns = 200;
    const tty = testIo(fakeApi({ statuses }).fetch, { files: { '/work/page.png': PNG }, stderr: terminal });
    expect(await main(['submit', 'page.png', '--wait'], tty)).toBe(0);
    expect(tty.stderr.text).toContain(`${JOB_A}  [##########..........]  52%  inferring 45/90`);
    expect(tty.stderr.text).toMatch(/\[#############.......\] {2}67% {2}inferring 60\/90 {2}ETA \d+ s/);

    const plain = testIo(fakeApi({ statuses }).fetch, { files: { '/work/page.png': PNG } });
    expect(await main(['submit', 'page.png', '--wait'], plain)).toBe(0);
    expect(plain.stderr.text).toContain(`job ${JOB_A} RUNNING inferring 50%`);
    expect(plain.stderr.text).toContain(`job ${JOB_A} RUNNING inferring 60%`);
  });

  it('downloads a result that was too big to inline', async () => {
    const api = fakeApi({ statuses: { [JOB_A]: [succeeded(JOB_A, null)] } });
    const io = testIo(api.fetch, { files: { '/work/page.png': PNG } });
    expect(await main(['submit', 'page.png', '--wait'], io)).toBe(0);
    expect(io.stdout.text).toBe('downloaded text\n');
  });

  it('exits 1 when one of the jobs fails, printing each outcome', async () => {
    const api = fakeApi({
      statuses: {
        [JOB_A]: [succeeded(JOB_A)],
        [JOB_B]: [job(JOB_B, 'FAILED', { error: 'The file is not an image Ferry can read.' })],
      },
    });
    const io = testIo(api.fetch, { files: { '/work/a.png': PNG, '/work/b.png': PNG } });
    expect(await main(['submit', 'a.png', 'b.png', '--wait'], io)).toBe(1);
    expect(io.stdout.text).toBe(`==> a.png <==\ntext of ${JOB_A}\n`);
    expect(io.stderr.text).toContain('ferry: b.png: FAILED: The file is not an image Ferry can read.');
  });

  it('exits 1 for a canceled job', async () => {
    const api = fakeApi({ statuses: { [JOB_A]: [job(JOB_A, 'CANCELED')] } });
    const io = testIo(api.fetch, { files: { '/work/a.png': PNG } });
    expect(await main(['submit', 'a.png', '--wait'], io)).toBe(1);
  });

  it('prints JSON outcomes with --json', async () => {
    const api = fakeApi({ statuses: { [JOB_A]: [succeeded(JOB_A)] } });
    const io = testIo(api.fetch, { files: { '/work/a.png': PNG } });
    expect(await main(['submit', 'a.png', '--wait', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout.text)).toEqual([
      { file: 'a.png', jobId: JOB_A, status: 'SUCCEEDED', result: { text: `text of ${JOB_A}` } },
    ]);
  });

  it('uploads at most --concurrency files at a time', async () => {
    const api = fakeApi();
    const io = testIo(api.fetch, { files: { '/work/a.png': PNG, '/work/b.png': PNG } });
    expect(await main(['submit', 'a.png', 'b.png', '-c', '1'], io)).toBe(0);
    expect(api.maxInFlight()).toBe(1);
  });

  it('exits 1 when storage refuses an upload', async () => {
    const api = fakeApi({ storageStatus: 403 });
    const io = testIo(api.fetch, { files: { '/work/a.png': PNG } });
    expect(await main(['submit', 'a.png'], io)).toBe(1);
    expect(io.stderr.text).toContain('Upload refused by storage: HTTP 403');
  });

  it.each([
    [['submit', 'notes.txt'], /Cannot tell the type of "notes.txt"/],
    [['submit', 'missing.png'], /Cannot read "missing.png": ENOENT/],
  ])('exits 2 before any request for %j', async (argv, message) => {
    const api = fakeApi();
    const io = testIo(api.fetch, { files: { '/work/notes.txt': 'x' } });
    expect(await main(argv, io)).toBe(2);
    expect(io.stderr.text).toMatch(message);
    expect(api.requests).toEqual([]);
  });

  it('exits 2 when the API refuses the key', async () => {
    const api = fakeApi({ uploadsStatus: 403 });
    const io = testIo(api.fetch, { files: { '/work/a.png': PNG } });
    expect(await main(['submit', 'a.png'], io)).toBe(2);
    expect(io.stderr.text).toContain('The API key is not valid');
  });
});

describe('ferry status, jobs, result, cancel', () => {
  it('status prints the job and exits 0, or 1 when it failed', async () => {
    const ok = testIo(fakeApi({ statuses: { [JOB_A]: [succeeded(JOB_A)] } }).fetch);
    expect(await main(['status', JOB_A], ok)).toBe(0);
    expect(ok.stdout.text).toMatch(/^Job {6}aaaaaaaa/);
    expect(ok.stdout.text).toContain('Status   SUCCEEDED');

    const failed = testIo(
      fakeApi({
        statuses: { [JOB_A]: [job(JOB_A, 'FAILED', { error: 'Bad image.', errorCode: 'INVALID_INPUT' })] },
      }).fetch,
    );
    expect(await main(['status', JOB_A, '--json'], failed)).toBe(1);
    expect(JSON.parse(failed.stdout.text)).toMatchObject({ status: 'FAILED', error: 'Bad image.' });
  });

  it('status exits 1 for an unknown job', async () => {
    const io = testIo(fakeApi().fetch);
    expect(await main(['status', JOB_A], io)).toBe(1);
    expect(io.stderr.text).toContain(`Job ${JOB_A} does not exist`);
  });

  it('jobs prints a table and how to get the next page', async () => {
    const { fetch, requests } = stubFetch(() =>
      json(200, { jobs: [job(JOB_A, 'QUEUED'), job(JOB_B, 'RUNNING')], cursor: 'next-page' }),
    );
    const io = testIo(fetch);
    expect(await main(['jobs', '--status', 'queued', '--limit', '2'], io)).toBe(0);
    expect(requests[0]?.url.search).toBe('?status=QUEUED&limit=2');
    const lines = io.stdout.text.trim().split('\n');
    expect(lines[0]).toMatch(/^JOB ID\s+STATUS\s+TASK\s+CREATED\s+FILE$/);
    expect(lines[1]).toContain(JOB_A);
    expect(io.stderr.text).toContain('ferry jobs --cursor next-page');
  });

  it('result prints the text, or writes the JSON with -o', async () => {
    const stored = { jobId: JOB_A, task: 'ocr', result: { text: 'hello', lines: [] } };
    const api = fakeApi({ statuses: { [JOB_A]: [succeeded(JOB_A, stored)] } });
    const io = testIo(api.fetch);
    expect(await main(['result', JOB_A], io)).toBe(0);
    expect(io.stdout.text).toBe('hello\n');

    const toFile = testIo(api.fetch);
    expect(await main(['result', JOB_A, '-o', 'out/r.json'], toFile)).toBe(0);
    expect(JSON.parse(toFile.written['/work/out/r.json'] ?? '')).toEqual(stored);
    expect(toFile.stdout.text).toBe('');
  });

  it('result exits 1 for a job that has not succeeded', async () => {
    const io = testIo(fakeApi({ statuses: { [JOB_A]: [job(JOB_A, 'RUNNING')] } }).fetch);
    expect(await main(['result', JOB_A], io)).toBe(1);
    expect(io.stderr.text).toContain('is RUNNING (not finished yet');
  });

  it('cancel exits 0 when canceled and 1 when the job already finished', async () => {
    const ok = testIo(stubFetch(() => json(200, job(JOB_A, 'CANCELED'))).fetch);
    expect(await main(['cancel', JOB_A], ok)).toBe(0);
    expect(ok.stdout.text).toBe(`Canceled ${JOB_A}\n`);

    const conflict = testIo(
      stubFetch(() =>
        json(409, { error: { code: 'JOB_ALREADY_FINAL', message: 'already', status: 'SUCCEEDED' } }),
      ).fetch,
    );
    expect(await main(['cancel', JOB_A], conflict)).toBe(1);
    expect(conflict.stderr.text).toContain('already finished (SUCCEEDED)');
  });
});

describe('ferry configuration and usage', () => {
  it('exits 2 without an API URL, naming the ways to give one', async () => {
    const io = testIo(fakeApi().fetch, { env: {} });
    expect(await main(['status', JOB_A], io)).toBe(2);
    expect(io.stderr.text).toContain('No API URL: pass --api-url, set FERRY_API_URL');
  });

  it('reads .ferry/outputs.json from the current directory', async () => {
    const api = fakeApi({ statuses: { [JOB_A]: [job(JOB_A, 'QUEUED')] } });
    const io = testIo(api.fetch, {
      env: {},
      files: {
        '/work/.ferry/outputs.json': JSON.stringify({ apiUrl: 'http://127.0.0.1:8787', apiKey: 'local' }),
      },
    });
    expect(await main(['status', JOB_A], io)).toBe(0);
    expect(api.requests[0]?.url.href).toBe(`http://127.0.0.1:8787/jobs/${JOB_A}`);
    expect(api.requests[0]?.headers.get('authorization')).toBe('Bearer local');
  });

  it('exits 2 when the API cannot be reached', async () => {
    const failing = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as unknown as typeof fetch;
    const io = testIo(failing);
    expect(await main(['jobs'], io)).toBe(2);
    expect(io.stderr.text).toContain('Cannot reach the API at https://api.test (ECONNREFUSED)');
  });

  it('exits 2 on a usage error and 0 for --help', async () => {
    const bad = testIo(fakeApi().fetch);
    expect(await main(['frobnicate'], bad)).toBe(2);
    expect(bad.stderr.text).toContain('ferry --help');
    const help = testIo(fakeApi().fetch);
    expect(await main(['--help'], help)).toBe(0);
    expect(help.stdout.text).toContain('Usage: ferry <command>');
  });
});
