/**
 * Starts (or reuses) the AWS emulator once for the whole test run and points every test file
 * at it through AWS_ENDPOINT_URL and test credentials.
 */
import { ensureEmulator } from '../../scripts/local/emulator.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const emulator = await ensureEmulator({ log: (line) => console.log(`[emulator] ${line}`) });
  process.env.AWS_ENDPOINT_URL = emulator.endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  return () => emulator.stop();
}
