/**
 * core/config TASK_NAME: one pattern, 64 characters at most, for the API's `task` field, ingest's
 * `ferry-task` metadata and the worker's task registry.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CreateUploadSchema } from '../../../core/api/uploads.ts';
import { TASK_NAME, TASK_NAME_MAX_LENGTH } from '../../../core/config.ts';
import { loadTaskDefinitions } from '../../../gpu-worker/tasks/registry.ts';

const longest = `t${'a'.repeat(TASK_NAME_MAX_LENGTH - 1)}`;
const tooLong = `${longest}a`;

function taskModule(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-task-'));
  const file = join(dir, 'task.mjs');
  writeFileSync(file, `export default { name: ${JSON.stringify(name)}, load: async () => ({}) };\n`);
  return file;
}

describe('task names', () => {
  test('allow 64 characters, not 65', () => {
    expect(TASK_NAME_MAX_LENGTH).toBe(64);
    expect(TASK_NAME.test(longest)).toBe(true);
    expect(TASK_NAME.test(tooLong)).toBe(false);
  });

  test('the API and the worker accept and refuse the same names', async () => {
    const upload = (task: string) =>
      CreateUploadSchema.safeParse({ filename: 'a.png', contentType: 'image/png', size: 1, task }).success;
    expect(upload(longest)).toBe(true);
    expect(upload(tooLong)).toBe(false);
    await expect(loadTaskDefinitions([taskModule(longest)])).resolves.toHaveProperty('size', 3);
    await expect(loadTaskDefinitions([taskModule(tooLong)])).rejects.toThrow('must match');
  });
});
