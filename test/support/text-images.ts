/**
 * @module test/support/text-images
 * Deterministic images of known English text (SVG rendered by sharp in DejaVu Sans), for OCR tests and benchmarks.
 */
import sharp from 'sharp';

export interface TextImageSpec {
  /** Lines of text, drawn top to bottom, left-aligned. */
  lines: string[];
  /** Image width in pixels. Default 1280. */
  width?: number;
  /** Image height in pixels. Default 720. */
  height?: number;
  /** Font size in pixels. Default: picked from `seed` in 28..40, shrunk until the longest line fits. */
  fontSize?: number;
  /** Installed font family. Default "DejaVu Sans". */
  fontFamily?: string;
  /** Varies margins, font size, line spacing and grey levels; the same seed gives the same PNG. Default 1. */
  seed?: number;
}

/** DejaVu Sans advances average about 0.62 em on mixed English text; used only to keep lines inside the image. */
const AVERAGE_ADVANCE_EM = 0.62;

/** Renders `spec` to a PNG. */
export async function renderTextImage(spec: TextImageSpec): Promise<Buffer> {
  const { lines, width = 1280, height = 720, fontFamily = 'DejaVu Sans', seed = 1 } = spec;
  const random = mulberry32(seed);
  const marginX = Math.round(40 + random() * 60);
  const longest = Math.max(1, ...lines.map((line) => line.length));
  const fitting = Math.floor((width - 2 * marginX) / (longest * AVERAGE_ADVANCE_EM));
  const fontSize = spec.fontSize ?? Math.min(Math.round(28 + random() * 12), fitting);
  const lineHeight = Math.round(fontSize * (1.6 + random() * 0.6));
  const top = Math.round(
    Math.max(fontSize, (height - lineHeight * lines.length) / 2 + (random() - 0.5) * 80),
  );
  const background = grey(235 + random() * 20);
  const ink = grey(random() * 60);

  const text = lines
    .map(
      (line, i) =>
        `<text x="${marginX}" y="${top + i * lineHeight + fontSize}" xml:space="preserve">${escapeXml(line)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<rect width="100%" height="100%" fill="${background}"/>
<g font-family="${escapeXml(fontFamily)}" font-size="${fontSize}" fill="${ink}">${text}</g>
</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export interface CorpusItem {
  /** Stable name, e.g. "corpus-07". */
  name: string;
  lines: string[];
}

/** Sentences of 20-55 characters: mixed case, digits and punctuation, nothing outside printable ASCII. */
const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Invoice #4821 is due on 12 March 2024.',
  'Total amount: $1,294.50 (VAT included).',
  'Please call +1 (555) 014-2387 before 5 pm.',
  'Ferry runs OCR jobs on GPUs in the cloud.',
  'Order 77A shipped to 221B Baker Street, London.',
  'Meeting moved to Room 3.14, Building C.',
  'Temperature reached 38.6 C at noon today.',
  'Version 2.7.1 fixes 14 bugs and adds 3 features.',
  'Send questions to support@example.com, please.',
  'Chapter 9: How to Read a Balance Sheet',
  'She paid 45% upfront and the rest in June.',
  'Keep this receipt for 90 days; no refunds after.',
  'Flight BA 117 departs at 08:45 from Gate 22.',
  'Warning! Do not open the lid while running.',
  'Sample size was n = 1,024 across 6 regions.',
  'Grandma baked 3 dozen cookies for the fair.',
  'Route 66 crosses eight states in the USA.',
  'The password must have 12+ characters.',
  'Quarterly revenue grew by 7.3% year over year.',
  'Serial No. XK-5590-Q was registered in 2019.',
  'Turn left at the second light, then go 200 m.',
  'Her thesis cites 143 papers and 2 books.',
  'Packing list: 4 boxes, 2 crates and 1 pallet.',
  'Mix 250 g of flour with 2 eggs and some milk.',
  'Office hours are Monday to Friday, 9-17.',
  'The museum opens at 10 am on weekends.',
  'Station 5 reported winds of 62 km/h.',
  'Do you accept credit cards or cash only?',
  'Project Alpha is 85% complete as of today.',
  'Reading 4 pages a day adds up to 1,460 a year.',
  'Lot 18 sold for $7,800 at the Friday auction.',
  'New York, Paris and Tokyo are on the tour.',
  'Check-in starts at 3 pm; check-out by 11 am.',
  'Bus 42 leaves every 15 minutes until midnight.',
  'Each kit contains 8 sensors and a USB cable.',
  'Jane Doe signed the lease on 1 April 2023.',
  'Water boils at 100 degrees at sea level.',
  'Use code SPRING24 for 20% off your order.',
  'The bridge is 1.7 km long and 48 m high.',
] as const;

/**
 * `count` fixed items of 3-6 lines each. Item i is the same in every run and every version of this
 * file as long as SENTENCES is unchanged; benchmarks compare against it.
 */
export function standardCorpus(count: number): CorpusItem[] {
  return Array.from({ length: count }, (_, i) => {
    const lineCount = 3 + (i % 4);
    const lines = Array.from(
      { length: lineCount },
      (_, j) => SENTENCES[(i * 7 + j * 11) % SENTENCES.length] as string,
    );
    return { name: `corpus-${String(i).padStart(2, '0')}`, lines };
  });
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function grey(level: number): string {
  const v = Math.round(Math.min(255, Math.max(0, level)));
  return `rgb(${v},${v},${v})`;
}

/** Small seeded PRNG so images do not depend on Math.random. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
