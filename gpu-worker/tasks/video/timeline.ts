/**
 * @module gpu-worker/tasks/video/timeline
 * Turns the text read from sampled frames, in time order, into segments: consecutive frames
 * showing the same text form one segment `{ start, end, text, lines }` (seconds). "The same"
 * allows a little OCR noise (edit distance at most 10% of the length), and the text most frames
 * agreed on names the segment. Frames without text end a segment and start none.
 */
import { distance } from 'fastest-levenshtein';
import type { OcrLine, OcrResult, Segment } from '../../../core/api/results.ts';

export type { Segment };

/** The builder's whole state, plain JSON, so a checkpoint can carry it. */
export interface TimelineState {
  segments: Segment[];
  open?: { start: number; end: number; readings: Array<{ text: string; count: number; lines: OcrLine[] }> };
}

/** Readings within this share of edits of each other show the same text. */
const SAME_TEXT_MAX_EDIT_RATIO = 0.1;

export class Timeline {
  readonly #state: TimelineState;
  readonly #interval: number;

  /** `interval`: seconds between sampled frames; a frame covers [t, t + interval). */
  constructor(interval: number, state?: TimelineState) {
    this.#interval = interval;
    this.#state = state ? structuredClone(state) : { segments: [] };
  }

  /** A frame at `time` that was read. */
  addReading(time: number, reading: Pick<OcrResult, 'text' | 'lines'>): void {
    const text = normalise(reading.text);
    const open = this.#state.open;
    if (!text) {
      this.#close();
      return;
    }
    if (open && sameText(leading(open).text, text)) {
      const known = open.readings.find((r) => r.text === text);
      if (known) known.count++;
      else open.readings.push({ text, count: 1, lines: reading.lines });
      open.end = time + this.#interval;
      return;
    }
    this.#close();
    this.#state.open = {
      start: time,
      end: time + this.#interval,
      readings: [{ text, count: 1, lines: reading.lines }],
    };
  }

  /** A frame at `time` that shows what the last read frame showed. */
  addDuplicate(time: number): void {
    if (this.#state.open) this.#state.open.end = time + this.#interval;
  }

  get state(): TimelineState {
    return structuredClone(this.#state);
  }

  /** The segments, the open one closed; ends capped at `duration`. */
  finish(duration: number): Segment[] {
    this.#close();
    return this.#state.segments.map((s) => ({
      ...s,
      start: round(Math.min(s.start, duration)),
      end: round(Math.min(s.end, duration)),
    }));
  }

  #close(): void {
    const open = this.#state.open;
    if (!open) return;
    const best = leading(open);
    this.#state.segments.push({
      start: round(open.start),
      end: round(open.end),
      text: best.text,
      lines: best.lines,
    });
    delete this.#state.open;
  }
}

/** The reading most frames agreed on; the earliest wins a tie. */
function leading(open: NonNullable<TimelineState['open']>) {
  return open.readings.reduce((best, r) => (r.count > best.count ? r : best));
}

function sameText(a: string, b: string): boolean {
  return distance(a, b) <= SAME_TEXT_MAX_EDIT_RATIO * Math.max(a.length, b.length);
}

function normalise(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
