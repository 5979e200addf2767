/** The part of the `webvtt-parser` package (W3C WebVTT parser, no types of its own) the tests use. */
declare module 'webvtt-parser' {
  export interface WebVttCue {
    id: string;
    startTime: number;
    endTime: number;
    text: string;
  }
  export class WebVTTParser {
    parse(
      input: string,
      mode?: 'subtitles/captions/descriptions' | 'chapters' | 'metadata',
    ): { cues: WebVttCue[]; errors: Array<{ message: string; line: number; col: number }> };
  }
}
