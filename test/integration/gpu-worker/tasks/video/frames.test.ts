/**
 * readFrames with the real ffmpeg over a Matroska file that declares 5 s and holds 300 s of
 * frames: ffmpeg stops at the frame cap or the time cap it is given, whichever comes first, not
 * at the end of the frames, and is killed (no process left) when the job's signal aborts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBinaries } from '../../../../../gpu-worker/tasks/video/binaries.ts';
import { type FrameSource, readFrames } from '../../../../../gpu-worker/tasks/video/frames.ts';
import { pidsWithArg } from '../../../../support/processes.ts';
import { lyingDurationMkv } from '../../../../support/test-videos.ts';

const { ffmpeg, ffprobe } = resolveBinaries({});
let dir: string;
/** A path of this file's own (a link to the shared video), so its ffmpeg can be told apart. */
let lying: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ferry-frames-'));
  lying = path.join(dir, 'lying.mkv');
  await symlink(await lyingDurationMkv(300, 5), lying);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const source = (overrides: Partial<FrameSource>): FrameSource => ({
  ffmpeg,
  file: lying,
  decoder: 'cpu',
  fps: 1,
  width: 64,
  height: 36,
  startSec: 0,
  maxSec: 1000,
  maxFrames: 1000,
  signal: new AbortController().signal,
  ...overrides,
});

async function count(frames: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of frames) n++;
  return n;
}

describe('readFrames', () => {
  it('is given a video whose container declares 5 s and that holds 300 frames', async () => {
    const { stdout } = await promisify(execFile)(ffprobe, [
      ...['-v', 'error', '-count_packets', '-select_streams', 'v:0'],
      ...['-show_entries', 'format=duration:stream=nb_read_packets', '-of', 'json', lying],
    ]);
    const probed = JSON.parse(stdout) as {
      format: { duration: string };
      streams: [{ nb_read_packets: string }];
    };
    expect(Number(probed.format.duration)).toBeCloseTo(5, 1);
    expect(Number(probed.streams[0].nb_read_packets)).toBe(300);
  });

  it('stops at its frame cap whatever the container declares', async () => {
    expect(await count(readFrames(source({ maxFrames: 8 })))).toBe(8);
  });

  it('stops at its time cap whatever the container declares, counted from the start', async () => {
    expect(await count(readFrames(source({ maxSec: 3 })))).toBe(3);
    expect(await count(readFrames(source({ startSec: 10, maxSec: 3 })))).toBe(3);
  });

  it('kills ffmpeg when the signal aborts mid-decode, and throws the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('job canceled');
    const frames = readFrames(source({ signal: controller.signal }));
    let seen = 0;
    const reading = (async () => {
      for await (const _ of frames) {
        if (++seen === 1) {
          expect(await pidsWithArg(lying)).toHaveLength(1);
          controller.abort(reason);
        }
      }
    })();
    await expect(reading).rejects.toBe(reason);
    expect(seen).toBeLessThan(300);
    expect(await pidsWithArg(lying)).toEqual([]);
  });
});
