/**
 * API fuzzing with fast-check: thousands of malformed bodies, ids, cursors, headers, queries and
 * filenames, sent to the Hono app in-process with the real emulator behind it (real clients
 * table, jobs table, SSM cursor key, S3 presigner). Properties: never a 5xx, and a client never
 * sees a job of another client (no other client's job id in any response).
 */
import fc from 'fast-check';
import type { Hono } from 'hono';
import { beforeAll, expect, it } from 'vitest';
import { JobStatus } from '../../../../core/job.ts';
import { createApp } from '../../../../functions/api/app.ts';
import { apiDepsFromEnv } from '../../../../functions/api/deps.ts';
import { ensureLocalClient, type LocalClient } from '../../../../scripts/local/local-client.ts';
import { createTestStack, type TestStack } from '../../../support/local-stack.ts';

let stack: TestStack;
let app: Hono;
let a: LocalClient;
let b: LocalClient;
/** Jobs each client created; the other must never see these ids. */
const jobsOf: Record<string, string[]> = {};
const cursorsOf: Record<string, string[]> = {};

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
  a = stack.client;
  b = await ensureLocalClient(stack.outputs, 'globex', { requestsPerSec: 10_000, burst: 10_000 });
  app = createApp(apiDepsFromEnv()) as unknown as Hono;
  for (const client of [a, b]) {
    jobsOf[client.clientId] = [];
    for (let i = 0; i < 3; i++) {
      const res = await send(client.apiKey, 'POST', '/uploads', {
        filename: `${client.clientId}-${i}.png`,
        contentType: 'image/png',
        size: 10,
      });
      jobsOf[client.clientId]?.push(((await res.json()) as { jobId: string }).jobId);
    }
    const page = (await (await send(client.apiKey, 'GET', '/jobs?limit=1')).json()) as { cursor: string };
    cursorsOf[client.clientId] = [page.cursor];
  }
});

function send(
  key: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return app.request(path, {
    method,
    headers: {
      ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 80,
});
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const anyText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({
    unit: fc.oneof(loneSurrogate, fc.constantFrom('\u{20000}', 'é', '/', '\\', '..', '\0')),
    maxLength: 120,
  }),
);

/** Values a field of the upload schema might get: right type and wrong, edge cases. */
const fieldValue = fc.oneof(
  anyText,
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -1,
    Number.POSITIVE_INFINITY,
    Number.MAX_SAFE_INTEGER,
    null,
    true,
    [],
    {},
    '1e400',
    'image/png',
    'image/bmp',
  ),
  fc.anything({ maxDepth: 2 }),
);

const uploadBody = fc.oneof(
  fc.record(
    {
      filename: fieldValue,
      contentType: fc.oneof(
        fieldValue,
        fc.constantFrom('image/png', 'IMAGE/JPEG; q=1', 'image/bmp', 'image/svg+xml'),
      ),
      size: fieldValue,
      task: fieldValue,
      webhookUrl: fc.oneof(
        fieldValue,
        fc.webUrl(),
        fc.constantFrom(
          'http://127.0.0.1:22/',
          'https://[::1]:8443/x',
          'ftp://x',
          'http://user:pw@h.example/',
        ),
      ),
      metadata: fc.oneof(fieldValue, fc.dictionary(anyText, fieldValue, { maxKeys: 40 })),
      uploadMethod: fc.oneof(fieldValue, fc.constantFrom('PUT', 'POST', 'put')),
      extra: fieldValue,
    },
    { requiredKeys: [] },
  ),
  // Well-formed except the filename: exercises sanitising (surrogates, 200-byte cut) on real S3 keys.
  fc.record({
    filename: fc.oneof(
      anyText,
      fc.string({
        unit: fc.constantFrom('\u{20000}', '\u{1D49C}', 'a', 'é', ' '),
        minLength: 40,
        maxLength: 120,
      }),
    ),
    contentType: fc.constant('image/png'),
    size: fc.integer({ min: 1, max: 1000 }),
  }),
  fc.anything({ maxDepth: 3 }),
  anyText,
  // Raw JSON that JavaScript cannot round-trip.
  fc.constantFrom(
    '{"filename":"a.png","contentType":"image/png","size":1e400}',
    '{"filename":"a.png","contentType":"image/png","size":-0,"metadata":{"__proto__":{"x":"1"}}}',
    '{"filename":"\\ud800","contentType":"image/png","size":1}',
  ),
);

const forgedCursor = fc.oneof(
  anyText,
  fc.constantFrom(
    Buffer.from('{"jobId":1e400}').toString('base64url'),
    Buffer.from('{"v":1,"client":"globex","at":{"jobId":1e400}}').toString('base64url'),
    'a.b',
    '.',
  ),
  fc.base64String({ maxLength: 200 }),
);

const request = fc.record({
  who: fc.constantFrom<'a' | 'b' | 'none' | 'garbage'>('a', 'b', 'none', 'garbage'),
  garbageKey: printable,
  method: fc.oneof(
    { arbitrary: fc.constantFrom('GET', 'POST', 'DELETE'), weight: 6 },
    { arbitrary: fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD'), weight: 1 },
  ),
  route: fc.oneof(
    { arbitrary: fc.constant({ kind: 'uploads' as const }), weight: 3 },
    fc.record({
      kind: fc.constant('list' as const),
      status: fc.option(fc.oneof(fc.constantFrom(...Object.values(JobStatus)), anyText), { nil: undefined }),
      limit: fc.option(fc.oneof(fc.integer(), anyText, fc.constantFrom('1e400', '0', '101', '20')), {
        nil: undefined,
      }),
      cursor: fc.option(fc.oneof(forgedCursor, fc.constantFrom('own', 'other')), { nil: undefined }),
      extra: fc.option(anyText, { nil: undefined }),
    }),
    fc.record({
      kind: fc.constant('job' as const),
      id: fc.oneof(fc.uuid(), anyText, fc.constantFrom('own', 'other', '1e400', '../uploads', '%00')),
    }),
    fc.record({ kind: fc.constant('raw' as const), path: anyText }),
  ),
  body: fc.option(uploadBody, { nil: undefined, freq: 8 }),
  contentType: fc.option(printable, { nil: undefined }),
});

let requests = 0;

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD, as on the wire). */
const pathSegment = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

it("never answers 5xx and never shows a client another client's job", async () => {
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const me = r.who === 'b' ? b : a;
      const other = me === a ? b : a;
      const key = r.who === 'none' ? undefined : r.who === 'garbage' ? r.garbageKey : me.apiKey;
      let path: string;
      const route = r.route;
      if (route.kind === 'uploads') path = '/uploads';
      else if (route.kind === 'job') {
        const id =
          route.id === 'own'
            ? jobsOf[me.clientId]?.[0]
            : route.id === 'other'
              ? jobsOf[other.clientId]?.[0]
              : route.id;
        path = `/jobs/${pathSegment(id ?? '')}`;
      } else if (route.kind === 'list') {
        const q = new URLSearchParams();
        if (route.status !== undefined) q.set('status', route.status);
        if (route.limit !== undefined) q.set('limit', String(route.limit));
        if (route.cursor !== undefined) {
          const c =
            route.cursor === 'own'
              ? cursorsOf[me.clientId]?.[0]
              : route.cursor === 'other'
                ? cursorsOf[other.clientId]?.[0]
                : route.cursor;
          q.set('cursor', c ?? '');
        }
        if (route.extra !== undefined) q.set(route.extra || 'x', '1');
        path = `/jobs?${q}`;
      } else path = `/${pathSegment(route.path)}`;

      const withBody = r.method !== 'GET' && r.method !== 'HEAD' && r.body !== undefined;
      const res = await send(
        key,
        r.method,
        path,
        withBody ? r.body : undefined,
        r.contentType !== undefined ? { 'content-type': r.contentType } : {},
      );
      requests++;
      const text = await res.text();
      expect(res.status, `${r.method} ${path} -> ${res.status} ${text}`).toBeLessThan(500);
      // An error may echo an id the caller sent; any other id of another client is a leak.
      const sent = decodeURIComponent(path) + (withBody ? JSON.stringify(r.body) : '');
      for (const foreign of jobsOf[other.clientId] ?? []) {
        if (key === me.apiKey && !sent.includes(foreign)) {
          expect(text, `${r.method} ${path} leaked ${foreign}`).not.toContain(foreign);
        }
      }
      if (key === me.apiKey && r.method === 'GET' && res.status === 200 && route.kind === 'job') {
        expect(jobsOf[other.clientId]).not.toContain(JSON.parse(text).jobId);
      }
    }),
    { numRuns: 2500, seed: Number(process.env.FERRY_FUZZ_SEED ?? Date.now() % 2 ** 31) },
  );
  const seconds = (Date.now() - started) / 1000;
  console.info(`fuzz: ${requests} requests in ${seconds.toFixed(1)} s`);
  expect(requests).toBeGreaterThanOrEqual(2500);
}, 120_000);
