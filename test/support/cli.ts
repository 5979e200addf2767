/**
 * Test doubles for the CLI: captured output streams and an in-memory CliIo whose fetch is a
 * small stub of the Ferry API and of presigned storage URLs.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { type CliIo, readRange } from '../../cli/io.ts';

export interface Captured {
  text: string;
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export function capture(tty = false): Captured {
  const stream: Captured = {
    text: '',
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
    ...(tty ? { isTTY: true, columns: 100 } : {}),
  };
  return stream;
}

export interface StubRequest {
  method: string;
  url: URL;
  headers: Headers;
  body?: unknown;
  bytes?: number;
}

export type StubHandler = (request: StubRequest) => Response | Promise<Response>;

/** A fetch that records requests and answers with `handler`; stream bodies are read to the end. */
export function stubFetch(handler: StubHandler): { fetch: typeof fetch; requests: StubRequest[] } {
  const requests: StubRequest[] = [];
  const fetchStub = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const headers = new Headers(init?.headers);
    const request: StubRequest = { method, url, headers };
    if (init?.body instanceof ReadableStream) {
      const reader = (init.body as ReadableStream<Uint8Array>).getReader();
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
      }
      request.bytes = bytes;
    } else if (typeof init?.body === 'string') {
      request.body = JSON.parse(init.body);
    }
    requests.push(request);
    return handler(request);
  }) as typeof fetch;
  return { fetch: fetchStub, requests };
}

export const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export function testIo(
  fetchImpl: typeof fetch,
  overrides: Partial<CliIo> & { files?: Record<string, Uint8Array | string> } = {},
): CliIo & { stdout: Captured; stderr: Captured; written: Record<string, string> } {
  const { files = {}, ...rest } = overrides;
  const written: Record<string, string> = {};
  return {
    fetch: fetchImpl,
    stdout: capture(),
    stderr: capture(),
    env: { FERRY_API_URL: 'https://api.test', FERRY_API_KEY: 'cli-test-key' },
    cwd: '/work',
    readFile: async (file) => {
      const content = files[file];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
      return typeof content === 'string' ? Buffer.from(content) : content;
    },
    writeFile: async (file, data) => {
      written[file] = typeof data === 'string' ? data : Buffer.from(data).toString();
    },
    sleep: async () => {},
    pollIntervalMs: 0,
    ...rest,
    written,
  } as CliIo & { stdout: Captured; stderr: Captured; written: Record<string, string> };
}

/** A CliIo on the real network and file system, pointed at a running API, with captured output. */
export function realIo(options: {
  apiUrl: string;
  apiKey: string;
  cwd: string;
  pollIntervalMs: number;
}): CliIo & { stdout: Captured; stderr: Captured } {
  return {
    fetch: globalThis.fetch,
    stdout: capture(),
    stderr: capture(),
    env: { FERRY_API_URL: options.apiUrl, FERRY_API_KEY: options.apiKey },
    cwd: options.cwd,
    readFile: (file) => readFile(file),
    fileSize: async (file) => (await stat(file)).size,
    readRange,
    writeFile: (file, data) => writeFile(file, data),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    pollIntervalMs: options.pollIntervalMs,
  };
}
