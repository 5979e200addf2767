/**
 * gpu-worker/Dockerfile cannot import core/config.ts: its ENV, EXPOSE and HEALTHCHECK name the
 * health port as text, so this test holds them to WORKER_HEALTH_PORT.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { WORKER_HEALTH_PORT } from '../../../core/config.ts';

const dockerfile = readFileSync(new URL('../../../gpu-worker/Dockerfile', import.meta.url), 'utf8');

test('the image sets, exposes and health-checks WORKER_HEALTH_PORT', () => {
  expect([...dockerfile.matchAll(/FERRY_HEALTH_PORT=(\d+)/g)].map((m) => Number(m[1]))).toEqual([
    WORKER_HEALTH_PORT,
  ]);
  expect([...dockerfile.matchAll(/^EXPOSE (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([WORKER_HEALTH_PORT]);
  const healthcheck = /^HEALTHCHECK [^\n]*\\\n[^\n]*$/m.exec(dockerfile)?.[0] ?? '';
  expect([...healthcheck.matchAll(/127\.0\.0\.1:(\d+)\/healthz/g)].map((m) => Number(m[1]))).toEqual([
    WORKER_HEALTH_PORT,
  ]);
});
