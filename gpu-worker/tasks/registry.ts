/**
 * @module gpu-worker/tasks/registry
 * The tasks a worker can run: the built-in ones, plus modules named in FERRY_TASK_MODULES
 * (paths or package names) whose default export is a TaskDefinition.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ocr from './ocr/index.ts';
import type { TaskDefinition } from './task.ts';

const TASK_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Statically imported so a bundled worker carries them. */
export const BUILT_IN_TASKS: readonly TaskDefinition[] = [ocr as TaskDefinition];

/** `builtIns` names the built-in tasks to load (undefined = all of them). */
export async function loadTaskDefinitions(
  modules: string[],
  builtIns?: readonly string[],
): Promise<Map<string, TaskDefinition>> {
  const tasks = new Map<string, TaskDefinition>();
  const add = (task: TaskDefinition, from: string) => {
    if (!task || typeof task.load !== 'function' || typeof task.name !== 'string') {
      throw new Error(`${from} does not default-export a TaskDefinition ({ name, load })`);
    }
    if (!TASK_NAME.test(task.name))
      throw new Error(`${from}: task name "${task.name}" must match ${TASK_NAME}`);
    if (tasks.has(task.name)) throw new Error(`${from}: task "${task.name}" is already registered`);
    tasks.set(task.name, task);
  };
  for (const task of BUILT_IN_TASKS) {
    if (!builtIns || builtIns.includes(task.name)) add(task, 'built-in');
  }
  for (const specifier of modules) {
    // A file that exists (relative to the working directory) wins over a package of that name.
    const file = path.resolve(specifier);
    const url = existsSync(file) ? pathToFileURL(file).href : specifier;
    const mod = (await import(url)) as { default?: TaskDefinition };
    add(mod.default as TaskDefinition, specifier);
  }
  return tasks;
}
