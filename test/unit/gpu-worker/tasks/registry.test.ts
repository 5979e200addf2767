/**
 * The task registry: every built-in task module carries its description, a task module's
 * description is checked at start, and a model task's job is one `ctx.infer` on the whole input.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BUILT_IN_TASK_DESCRIPTIONS } from '../../../../core/tasks.ts';
import { loadJobTasks, loadTaskDefinitions, modelJobTask } from '../../../../gpu-worker/tasks/registry.ts';
import type { JobContext } from '../../../../gpu-worker/tasks/task.ts';

/** A task module file exporting `source`. */
function taskModule(source: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-task-')), 'task.mjs');
  writeFileSync(file, source);
  return file;
}

const description = (name: string) =>
  JSON.stringify({ name, accepts: ['image'], unit: 'file', secondsPerUnit: 0.5 });

describe('loadTaskDefinitions', () => {
  it('loads the built-in tasks under the names of their descriptions in core/', async () => {
    const tasks = await loadTaskDefinitions([]);
    expect([...tasks.keys()]).toEqual(BUILT_IN_TASK_DESCRIPTIONS.map((d) => d.name));
  });

  it("takes a module's task with a description that matches it", async () => {
    const file = taskModule(
      `export default { name: 'redact', load: async () => ({}) };\nexport const description = ${description('redact')};\n`,
    );
    await expect(loadTaskDefinitions([file], [])).resolves.toHaveProperty('size', 1);
  });

  it('refuses a module whose description names another task, or is not a description', async () => {
    const other = taskModule(
      `export default { name: 'redact', load: async () => ({}) };\nexport const description = ${description('blur')};\n`,
    );
    await expect(loadTaskDefinitions([other], [])).rejects.toThrow(
      'its description names "blur", its task "redact"',
    );
    const bad = taskModule(
      `export default { name: 'redact', load: async () => ({}) };\nexport const description = { name: 'redact', accepts: [] };\n`,
    );
    await expect(loadTaskDefinitions([bad], [])).rejects.toThrow("its description's accepts");
  });
});

describe('modelJobTask', () => {
  it('runs a model task as one ctx.infer on the whole input', async () => {
    const infer = vi.fn(async () => ({ text: 'hello' }));
    const progress = vi.fn();
    const task = modelJobTask({ name: 'ocr', timeoutSec: 30 }, 1024);
    expect(task).toMatchObject({ name: 'ocr', maxInputBytes: 1024, timeoutSec: 30, oneModelCall: true });
    const bytes = new Uint8Array([1, 2, 3]);
    const output = await task.run(
      { size: 3, key: 'uploads/a.png', bytes: async () => bytes, path: async () => '' },
      { infer, progress } as unknown as JobContext,
    );
    expect(output).toEqual({ result: { text: 'hello' } });
    expect(infer).toHaveBeenCalledExactlyOnceWith('ocr', bytes);
    expect(progress).toHaveBeenCalledWith('inferring', 0, 1);
  });

  it('gives the runner every task as a job task: the video task as it is, the OCR task wrapped', async () => {
    const tasks = await loadJobTasks([], undefined, 2048);
    expect(tasks.get('ocr')).toMatchObject({ maxInputBytes: 2048, oneModelCall: true });
    expect(tasks.get('video-ocr')).toMatchObject({ resumable: true });
  });
});
