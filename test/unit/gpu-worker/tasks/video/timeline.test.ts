/**
 * The video task's pure parts: the timeline of segments, WebVTT output, near-duplicate
 * thumbnails, the frame size read, and the duration wording.
 */
import { describe, expect, it } from 'vitest';
import {
  meanAbsDiff,
  THUMB_HEIGHT,
  THUMB_WIDTH,
  thumbnail,
} from '../../../../../gpu-worker/tasks/video/dedupe.ts';
import { outputSize } from '../../../../../gpu-worker/tasks/video/index.ts';
import { formatDuration } from '../../../../../gpu-worker/tasks/video/probe.ts';
import { Timeline } from '../../../../../gpu-worker/tasks/video/timeline.ts';
import { toWebVtt } from '../../../../../gpu-worker/tasks/video/webvtt.ts';

const read = (text: string) => ({ text, lines: [] });

describe('Timeline', () => {
  it('merges consecutive frames with the same text, duplicates included, into one segment', () => {
    const t = new Timeline(1);
    t.addReading(0, read('Hello world'));
    t.addDuplicate(1);
    t.addReading(2, read('Hello  world'));
    t.addReading(3, read('Next slide'));
    expect(t.finish(10)).toEqual([
      { start: 0, end: 3, text: 'Hello world', lines: [] },
      { start: 3, end: 4, text: 'Next slide', lines: [] },
    ]);
  });

  it('absorbs small OCR noise and names the segment by the reading most frames agree on', () => {
    const t = new Timeline(1);
    t.addReading(0, read('Quarterly revenue grew'));
    t.addReading(1, read('Quarterly revenve grew'));
    t.addReading(2, read('Quarterly revenve grew'));
    expect(t.finish(3)).toMatchObject([{ start: 0, end: 3, text: 'Quarterly revenve grew' }]);
  });

  it('ends a segment at a frame without text and caps the last end at the duration', () => {
    const t = new Timeline(2);
    t.addReading(0, read('A title'));
    t.addReading(2, read('   '));
    t.addDuplicate(4);
    t.addReading(6, read('Closing words'));
    expect(t.finish(7)).toMatchObject([
      { start: 0, end: 2, text: 'A title' },
      { start: 6, end: 7, text: 'Closing words' },
    ]);
  });

  it('resumes from its saved state as if it had never stopped', () => {
    const whole = new Timeline(1);
    const first = new Timeline(1);
    for (const [i, text] of ['one', 'one', 'two'].entries()) {
      whole.addReading(i, read(text));
      first.addReading(i, read(text));
    }
    const resumed = new Timeline(1, JSON.parse(JSON.stringify(first.state)));
    whole.addReading(3, read('two'));
    resumed.addReading(3, read('two'));
    expect(resumed.finish(4)).toEqual(whole.finish(4));
  });
});

describe('toWebVtt', () => {
  it('writes a header and one timed cue per segment, escaping markup', () => {
    expect(
      toWebVtt([
        { start: 0, end: 10, text: 'A <b> & C\nsecond line', lines: [] },
        { start: 3661.5, end: 3662, text: 'later', lines: [] },
      ]),
    ).toBe(
      'WEBVTT\n\n1\n00:00:00.000 --> 00:00:10.000\nA &lt;b&gt; &amp; C\nsecond line\n\n2\n01:01:01.500 --> 01:01:02.000\nlater\n',
    );
  });
});

describe('near-duplicate thumbnails', () => {
  const frame = (grey: (x: number, y: number) => number, width = 128, height = 72) => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) data.fill(grey(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
    return thumbnail(data, width, height);
  };

  it('is a THUMB_WIDTH x THUMB_HEIGHT grey image of the frame', () => {
    const thumb = frame(() => 200);
    expect(thumb).toHaveLength(THUMB_WIDTH * THUMB_HEIGHT);
    expect(new Set(thumb)).toEqual(new Set([200]));
  });

  it('differs little between frames with small changes and a lot between different frames', () => {
    const base = frame((x) => (x < 64 ? 30 : 220));
    const speck = frame((x, y) => (x < 64 ? 30 : x === 100 && y === 10 ? 0 : 220));
    const other = frame((x) => (x < 64 ? 220 : 30));
    expect(meanAbsDiff(base, speck)).toBeLessThan(1);
    expect(meanAbsDiff(base, other)).toBeGreaterThan(100);
  });
});

describe('outputSize', () => {
  it('scales the longer side down to the limit, keeping even dimensions, and never up', () => {
    expect(outputSize(3840, 2160, 1280)).toEqual({ width: 1280, height: 720 });
    expect(outputSize(1079, 1921, 1280)).toEqual({ width: 718, height: 1280 });
    expect(outputSize(640, 360, 1280)).toEqual({ width: 640, height: 360 });
  });
});

describe('formatDuration', () => {
  it('says hours, minutes and seconds as a person would', () => {
    expect(formatDuration(8)).toBe('8 s');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(3725)).toBe('1 h 2 min 5 s');
  });
});
