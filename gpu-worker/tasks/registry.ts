/**
 * @module gpu-worker/tasks/registry
 * The tasks a worker can run: the built-in ones, plus modules named in FERRY_TASK_MODULES
 * (paths or package names) whose default export is a TaskDefinition or JobTaskDefinition. Each
 * task module exports its description (core/tasks.ts TaskDescription) as `description`: a built-in
 * one must, a module of FERRY_TASK_MODULES should; one given is checked against the schema and the
 * task's name at start, so a worker never runs a task under a name its description does not carry.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TASK_NAME } from '../../core/config.ts';
import { TaskDescriptionSchema } from '../../core/tasks.ts';
import * as ocr from './ocr/index.ts';
import { isJobTask, type JobTaskDefinition, type TaskDefinition } from './task.ts';
import * as videoOcr from './video/index.ts';

/** A model task (runs in the inference threads) or a job task (drives them from the main thread). */
export type AnyTaskDefinition = TaskDefinition | JobTaskDefinition;

/** What a task module exports. */
interface TaskModule {
  default?: AnyTaskDefinition;
  description?: unknown;
}

/**
 * A built-in task's folder: its implementation, its description and, for a task with settings
 * of its own, `readOptions`, which reads them from the environment on the main thread at start.
 */
interface BuiltInTaskModule extends Required<TaskModule> {
  default: AnyTaskDefinition;
  readOptions?(env: Record<string, string | undefined>): unknown;
}

/** Statically imported so a bundled worker carries them. Adding a built-in task adds its folder here. */
const BUILT_IN_TASK_MODULES: readonly BuiltInTaskModule[] = [ocr, videoOcr];

/** `builtIns` names the built-in tasks to load (undefined = all of them). */
export async function loadTaskDefinitions(
  modules: string[],
  builtIns?: readonly string[],
): Promise<Map<string, AnyTaskDefinition>> {
  const tasks = new Map<string, AnyTaskDefinition>();
  const add = ({ default: task, description }: TaskModule, from: string) => {
    const runnable = task && (isJobTask(task) || typeof task.load === 'function');
    if (!task || !runnable || typeof task.name !== 'string') {
      throw new Error(
        `${from} does not default-export a TaskDefinition ({ name, load }) or JobTaskDefinition ({ name, run })`,
      );
    }
    if (!TASK_NAME.test(task.name))
      throw new Error(`${from}: task name "${task.name}" must match ${TASK_NAME}`);
    if (tasks.has(task.name)) throw new Error(`${from}: task "${task.name}" is already registered`);
    if (description !== undefined) checkDescription(description, task.name, from);
    tasks.set(task.name, task);
  };
  for (const module of BUILT_IN_TASK_MODULES) {
    if (!builtIns || builtIns.includes(module.default.name)) add(module, 'built-in');
  }
  for (const specifier of modules) {
    // A file that exists (relative to the working directory) wins over a package of that name.
    const file = path.resolve(specifier);
    const url = existsSync(file) ? pathToFileURL(file).href : specifier;
    add((await import(url)) as TaskModule, specifier);
  }
  return tasks;
}

function checkDescription(description: unknown, name: string, from: string): void {
  const parsed = TaskDescriptionSchema.safeParse(description);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${from}: its description's ${issue?.path.join('.') || 'value'} ${issue?.message}`);
  }
  if (parsed.data.name !== name)
    throw new Error(`${from}: its description names "${parsed.data.name}", its task "${name}"`);
}

/**
 * The built-in tasks' options from the environment, read once on the main thread at start (a bad
 * value stops the worker before any thread loads) and handed to every inference thread.
 */
export function readTaskOptions(
  env: Record<string, string | undefined> = process.env,
): Record<string, unknown> {
  return Object.fromEntries(
    BUILT_IN_TASK_MODULES.flatMap((module) =>
      module.readOptions ? [[module.default.name, module.readOptions(env)]] : [],
    ),
  );
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
    oneModelCall: true,
    async run(input, ctx) {
      ctx.progress('inferring', 0, 1);
      return { result: await ctx.infer(task.name, await input.bytes()) };
    },
  };
}
