/**
 * @module bench/images
 * The benchmark's fixed inputs: 1280x720 PNGs of known text from the shared test corpus, so every
 * run, row and machine reads exactly the same pixels.
 */
import { renderTextImage, standardCorpus } from '../test/support/text-images.ts';

export interface BenchImage {
  /** Stable name, e.g. "corpus-07". */
  name: string;
  /** The text drawn, lines joined with "\n" (the reference for CER). */
  text: string;
  png: Buffer;
}

/** `count` images; image i is the same in every run (seed i + 1, as the e2e tests use). */
export async function benchImages(count: number): Promise<BenchImage[]> {
  return Promise.all(
    standardCorpus(count).map(async (item, i) => ({
      name: item.name,
      text: item.lines.join('\n'),
      png: await renderTextImage({ lines: item.lines, width: 1280, height: 720, seed: i + 1 }),
    })),
  );
}
