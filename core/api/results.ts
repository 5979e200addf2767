/**
 * @module core/api/results
 * What the built-in tasks' results hold (a result file's `result`, and a SUCCEEDED job's
 * `result.data` when inlined): the worker's tasks write these shapes, the web app and the CLI
 * read them.
 */

/** One line of text the OCR task read. */
export interface OcrLine {
  text: string;
  /** Mean character probability, 0..1. */
  confidence: number;
  /** Corners in original-image pixels, clockwise from top-left. */
  box: [[number, number], [number, number], [number, number], [number, number]];
}

/** The `ocr` task's result. */
export interface OcrResult {
  /** All lines in reading order, joined with "\n". */
  text: string;
  lines: OcrLine[];
  /** Size of the image as read (after EXIF rotation). */
  width: number;
  height: number;
}

/** A stretch of video showing the same text. */
export interface Segment {
  /** Seconds from the start of the video. */
  start: number;
  end: number;
  text: string;
  lines: OcrLine[];
}

/** The part of the `video-ocr` task's result a reader needs: its text, segment by segment. */
export interface VideoSegments {
  segments: Segment[];
}
