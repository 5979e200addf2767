/**
 * Starts (or reuses) the AWS emulator once for the whole test run and points every test file
 * at it through AWS_ENDPOINT_URL and test credentials. Also gives the run its AWS call log
 * folder (FERRY_AWS_CALL_DIR, core/aws-calls.ts): every component the tests start records its
 * calls there, and the IAM check (test/support/infra/check-recorded-calls.ts) reads them after.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ensureEmulator } from '../../scripts/local/emulator.ts';
import { newCallLogDir } from './infra/recorded-calls.ts';

export default async function setup(): Promise<() => Promise<void>> {
  // scripts/test.sh names the folder (it runs the check on it); a bare `vitest run` gets its own.
  process.env.FERRY_AWS_CALL_DIR ??= newCallLogDir();
  mkdirSync(path.resolve(process.env.FERRY_AWS_CALL_DIR), { recursive: true });
  const emulator = await ensureEmulator({ log: (line) => console.log(`[emulator] ${line}`) });
  process.env.AWS_ENDPOINT_URL = emulator.endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  return () => emulator.stop();
}
