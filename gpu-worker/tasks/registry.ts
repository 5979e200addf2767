/**
 * @module gpu-worker/tasks/registry
 * The tasks a worker can run: the built-in ones, plus modules named in FERRY_TASK_MODULES
 * (paths or package names) whose default export is a TaskDefinition.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TASK_NAME } from '../../core/config.ts';
import ocr from './ocr/index.ts';
import { readOcrSettings } from './ocr/options.ts';
import { isJobTask, type JobTaskDefinition, type TaskDefinition } from './task.ts';
import videoOcr from './video/index.ts';

/** A model task (runs in the inference threads) or a job task (drives them from the main thread). */
export type AnyTaskDefinition = TaskDefinition | JobTaskDefinition;

/** Statically imported so a bundled worker carries them. */
export const BUILT_IN_TASKS: readonly AnyTaskDefinition[] = [
  ocr as TaskDefinition,
  videoOcr as JobTaskDefinition,
];

/** `builtIns` names the built-in tasks to load (undefined = all of them). */
export async function loadTaskDefinitions(
  modules: string[],
  builtIns?: readonly string[],
): Promise<Map<string, AnyTaskDefinition>> {
  const tasks = new Map<string, AnyTaskDefinition>();
  const add = (task: AnyTaskDefinition, from: string) => {
    const runnable = task && (isJobTask(task) || typeof task.load === 'function');
    if (!runnable || typeof task.name !== 'string') {
      throw new Error(
        `${from} does not default-export a TaskDefinition ({ name, load }) or JobTaskDefinition ({ name, run })`,
      );
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
    const mod = (await import(url)) as { default?: AnyTaskDefinition };
    add(mod.default as AnyTaskDefinition, specifier);
  }
  return tasks;
}

/**
 * The built-in tasks' options from the environment, read once on the main thread at start (a bad
 * value stops the worker before any thread loads) and handed to every inference thread.
 */
export function readTaskOptions(
  env: Record<string, string | undefined> = process.env,
): Record<string, unknown> {
  return { ocr: readOcrSettings(env) };
}

/**
 * Every task of the worker as the job task the runner runs (by name): job tasks as they are,
 * model tasks through modelJobTask.
 */
export async function loadJobTasks(
  modules: string[],
  builtIns: readonly string[] | undefined,
  maxInputBytes: number,
): Promise<Map<string, JobTaskDefinition>> {
  const all = await loadTaskDefinitions(modules, builtIns);
  return new Map(
    [...all].map(([name, task]) => [name, isJobTask(task) ? task : modelJobTask(task, maxInputBytes)]),
  );
}

/**
 * A model task's job: the whole input through one `ctx.infer`, its result the job's result.
 * `maxInputBytes` is the worker's FERRY_MAX_INPUT_BYTES, which the threads enforce too.
 */
export function modelJobTask(
  task: Pick<TaskDefinition, 'name' | 'timeoutSec'>,
  maxInputBytes: number,
): JobTaskDefinition {
  return {
    name: task.name,
    maxInputBytes,
    ...(task.timeoutSec !== undefined ? { timeoutSec: task.timeoutSec } : {}),
    shortJobs: true,
    async run(input, ctx) {
      ctx.progress('inferring', 0, 1);
      return { result: await ctx.infer(task.name, await input.bytes()) };
    },
  };
}
