/**
 * ffprobe over untrusted files, with the real binary: a file that never yields data (a FIFO no
 * one writes to) is killed at the probe's time limit, or as soon as the job's signal aborts, and
 * leaves no process behind; a container outside the accepted ones is refused by the whitelist
 * before ffprobe follows it anywhere.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../../core/errors.ts';
import { resolveBinaries } from '../../../../../gpu-worker/tasks/video/binaries.ts';
import { probeVideo } from '../../../../../gpu-worker/tasks/video/probe.ts';
import { pidsWithArg } from '../../../../support/processes.ts';
import { slideVideo } from '../../../../support/test-videos.ts';

const run = promisify(execFile);
const { ffprobe } = resolveBinaries({});

let dir: string;
/** A named pipe nobody writes to: opening it to read blocks for ever. */
let fifo: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ferry-probe-'));
  fifo = path.join(dir, 'stalled.mkv');
  await run('mkfifo', [fifo]);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probeVideo', () => {
  it('kills a probe that hangs at its time limit and fails INVALID_INPUT with the limit named', async () => {
    const started = Date.now();
    const probe = probeVideo(ffprobe, fifo, { maxDurationSec: 60, timeoutSec: 1 });
    await expect(probe).rejects.toThrow(InvalidInputError);
    await expect(probe).rejects.toThrow(/could not be read within 1 s \(ffprobe's time limit\)/);
    // Ended by the limit (1 s), not by anything later; the slack is for a loaded machine.
    expect(Date.now() - started).toBeLessThan(1000 + 4000);
    expect(await pidsWithArg(fifo)).toEqual([]);
  });

  it('kills the probe when the job signal aborts, and throws the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('job canceled');
    const probe = probeVideo(ffprobe, fifo, {
      maxDurationSec: 60,
      timeoutSec: 60,
      signal: controller.signal,
    });
    // ffprobe is running (blocked opening the FIFO) before the abort.
    await expect.poll(() => pidsWithArg(fifo), { timeout: 5000 }).toHaveLength(1);
    controller.abort(reason);
    await expect(probe).rejects.toBe(reason);
    expect(await pidsWithArg(fifo)).toEqual([]);
  });

  it('refuses a container outside the whitelist without opening what it names (a concat list)', async () => {
    // Without the format whitelist ffprobe would open the list's entry, the FIFO, and hang there.
    const list = path.join(dir, 'input');
    await writeFile(list, `ffconcat version 1.0\nfile ${path.basename(fifo)}\n`);
    await expect(probeVideo(ffprobe, list, { maxDurationSec: 60, timeoutSec: 10 })).rejects.toThrow(
      'The file is not a supported video (expected MP4, QuickTime, WebM or Matroska).',
    );
    expect(await pidsWithArg(list)).toEqual([]);
  });

  it('reads an accepted container through the whitelists', async () => {
    const { file } = await slideVideo({ duration: 4, slideSec: 2, width: 320, height: 240, format: 'webm' });
    const info = await probeVideo(ffprobe, file, { maxDurationSec: 60, timeoutSec: 10 });
    expect(info).toMatchObject({ codec: 'vp9', container: 'matroska,webm', width: 320, height: 240 });
  });
});
