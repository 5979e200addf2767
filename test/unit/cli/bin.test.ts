/** The installed `ferry` entry point: tsx registration and the process exit code. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../../../cli/bin.mjs');

function ferry(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, FERRY_API_URL: '', FERRY_API_KEY: '' }, cwd: '/' },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

it('runs the TypeScript CLI and exits with its code', async () => {
  const [help, usage, config] = await Promise.all([ferry('--help'), ferry('launch'), ferry('status', 'x')]);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: ferry <command>');
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('Unknown command "launch"');
  expect(config.code).toBe(2);
  expect(config.stderr).toContain('No API URL');
});
