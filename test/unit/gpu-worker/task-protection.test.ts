/**
 * TaskProtection against a fake ECS agent (a local HTTP server): protected before the first
 * receive, renewed on a timer, released after idle polls, re-protected before jobs start, and
 * failed PUTs retried.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskProtection, type TaskProtectionOptions } from '../../../gpu-worker/task-protection.ts';

interface Put {
  ProtectionEnabled: boolean;
  ExpiresInMinutes?: number;
}

let server: Server;
let agentUri: string;
let puts: Put[];
/** Answers this many PUTs with 503 before accepting. */
let failNext: number;

beforeEach(async () => {
  puts = [];
  failNext = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (req.method !== 'PUT' || req.url !== '/task-protection/v1/state') {
        res.writeHead(404).end();
        return;
      }
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end('{"error":"ECS unreachable"}');
        return;
      }
      puts.push(JSON.parse(body) as Put);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"protection":{}}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  agentUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
});

const make = (o: Partial<TaskProtectionOptions> = {}) =>
  new TaskProtection({
    agentUri,
    log: pino({ level: 'silent' }),
    idlePollsBeforeRelease: 2,
    retry: { baseMs: 5, capMs: 20, maxElapsedMs: 2000 },
    ...o,
  });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TaskProtection', () => {
  it('is protected before the first receive, and not before the agent accepted it', async () => {
    const p = make();
    expect(p.isProtected).toBe(false);
    await p.beforeReceive();
    expect(p.isProtected).toBe(true);
    expect(puts).toEqual([{ ProtectionEnabled: true, ExpiresInMinutes: 60 }]);
    await p.beforeReceive();
    expect(puts).toHaveLength(1);
    await p.release();
  });

  it('renews on a timer while protected, however long its jobs run', async () => {
    const p = make({ renewEveryMs: 40 });
    await p.beforeReceive();
    await p.afterReceive(1, 0);
    await wait(150);
    expect(puts.length).toBeGreaterThanOrEqual(3);
    expect(puts.every((x) => x.ProtectionEnabled)).toBe(true);
    await p.release();
    const n = puts.length;
    await wait(100);
    expect(puts.length).toBe(n);
  });

  it('releases after N idle polls with no job held, and polls on unprotected until jobs come', async () => {
    const p = make();
    await p.beforeReceive();
    await p.afterReceive(0, 1); // a job still held: not idle
    await p.afterReceive(0, 0);
    expect(p.isProtected).toBe(true);
    await p.afterReceive(0, 0);
    expect(p.isProtected).toBe(false);
    expect(puts.at(-1)).toEqual({ ProtectionEnabled: false });
    await p.beforeReceive(); // idle: stays unprotected, so scale-in may pick the task
    expect(p.isProtected).toBe(false);
    await p.afterReceive(2, 0); // jobs came: protected before they start
    expect(p.isProtected).toBe(true);
    expect(puts.at(-1)).toMatchObject({ ProtectionEnabled: true });
    await p.release();
  });

  it('retries a failed PUT and counts protection only once accepted', async () => {
    failNext = 3;
    const p = make();
    await p.beforeReceive();
    expect(p.isProtected).toBe(true);
    expect(puts).toHaveLength(1);
    await p.release();
  });

  it('stays unprotected when the agent keeps failing, and tries again at the next receive', async () => {
    failNext = 1000;
    const p = make({ retry: { baseMs: 5, capMs: 10, maxElapsedMs: 50 } });
    await p.beforeReceive();
    expect(p.isProtected).toBe(false);
    failNext = 0;
    await p.beforeReceive();
    expect(p.isProtected).toBe(true);
    await p.release();
  });

  it('tries a failed release again at the next idle poll', async () => {
    const p = make({ retry: { baseMs: 5, capMs: 10, maxElapsedMs: 50 } });
    await p.beforeReceive();
    await p.afterReceive(0, 0);
    failNext = 1000;
    await p.afterReceive(0, 0);
    expect(p.isProtected).toBe(true);
    failNext = 0;
    await p.afterReceive(0, 0);
    expect(p.isProtected).toBe(false);
  });

  it('does nothing outside ECS (no agent URI)', async () => {
    const p = make({ agentUri: undefined });
    await p.beforeReceive();
    await p.afterReceive(1, 0);
    await p.release();
    expect(puts).toEqual([]);
  });
});
