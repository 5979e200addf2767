/**
 * @module bench/pool-memory
 * Child process of the levers sweep: starts the raw row's pool with FERRY_* settings from argv (JSON),
 * reads `images` bench images twice, and prints its own peak RSS (VmHWM) in MiB. A process of its
 * own, so each setting's memory is measured alone.
 */
import { benchImages } from './images.ts';
import { processMemory } from './memory.ts';
import { startRawPool } from './rows/raw.ts';

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const images = await benchImages(Number(process.argv[3] ?? 12));
const before = processMemory(process.pid)?.rssMiB ?? Number.NaN;
const pool = await startRawPool(env, images);
const loaded = processMemory(process.pid)?.rssMiB ?? Number.NaN;
for (let i = 0; i < 2; i++) await pool.pass(images);
const peak = processMemory(process.pid)?.peakMiB ?? Number.NaN;
await pool.close();
console.log(JSON.stringify({ beforeMiB: before, loadedMiB: loaded, peakMiB: peak }));
