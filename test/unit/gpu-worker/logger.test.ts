/**
 * core/log + gpu-worker/logger: the worker's pino logger takes calls in the one shape (message,
 * then fields), and writes them as pino would, fields merged and the message under `msg`.
 */
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createLogger } from '../../../gpu-worker/logger.ts';

function captured() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, log: createLogger('debug', stream) };
}

describe('createLogger', () => {
  test('writes the message and the fields, children add theirs', async () => {
    const { lines, log } = captured();
    log.info('job claimed', { attempt: 1 });
    log.child({ jobId: 'j1' }).warn('heartbeat failed', { error: new Error('boom') });
    log.error('plain');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ msg: 'job claimed', attempt: 1, level: 30 });
    expect(lines[1]).toMatchObject({
      msg: 'heartbeat failed',
      jobId: 'j1',
      level: 40,
      error: expect.objectContaining({ type: 'Error', message: 'boom', stack: expect.any(String) }),
    });
    expect(lines[2]).toMatchObject({ msg: 'plain', level: 50 });
  });
});
