/**
 * README "The worker": its table of environment variables against the schemas that read them
 * (core/resources.ts, gpu-worker/config.ts, gpu-worker/tasks/video/options.ts). Every variable
 * the table names is read by one of them, its documented default is what the reader applies when
 * the variable is unset, and every variable of the worker's schemas is in the table.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../core/errors.ts';
import { UploadSweepEnvSchema, uploadSweepSettingsFromEnv } from '../../../core/ingest/recovery.ts';
import { RESOURCE_ENV, resourcesFromEnv } from '../../../core/resources.ts';
import { WorkerEnvSchema, workerConfigFromEnv } from '../../../gpu-worker/config.ts';
import { readVideoOptions } from '../../../gpu-worker/tasks/video/options.ts';

const ROOT = new URL('../../../', import.meta.url);
const README = readFileSync(new URL('README.md', ROOT), 'utf8');

type Env = Record<string, string | undefined>;

/** A reader of some of the table's variables, with the least environment it starts with. */
interface Source {
  name: string;
  base: Env;
  read: (env: Env) => unknown;
  /** The variables it reads, where its schema is exported (the table must list each). */
  variables?: readonly string[];
}

const REQUIRED_RESOURCES: Env = {
  FERRY_BUCKET: 'ferry-bucket',
  FERRY_TABLE: 'ferry-jobs',
  FERRY_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/ferry-jobs',
};

/** Read by resourcesFromEnv() for the functions and operator commands, not used by the worker. */
const NOT_WORKER_RESOURCES: readonly string[] = [RESOURCE_ENV.clientsTable, RESOURCE_ENV.parameterPrefix];

const SOURCES: readonly Source[] = [
  {
    name: 'core/resources.ts',
    base: REQUIRED_RESOURCES,
    read: resourcesFromEnv,
    variables: Object.values(RESOURCE_ENV).filter((v) => !NOT_WORKER_RESOURCES.includes(v)),
  },
  {
    name: 'gpu-worker/config.ts',
    base: {},
    read: workerConfigFromEnv,
    variables: Object.keys(WorkerEnvSchema.shape),
  },
  {
    name: 'core/ingest/recovery.ts',
    base: {},
    read: uploadSweepSettingsFromEnv,
    variables: Object.keys(UploadSweepEnvSchema.shape),
  },
  // VideoEnvSchema is not exported, so its variables are only checked one way (table -> schema).
  { name: 'gpu-worker/tasks/video/options.ts', base: {}, read: readVideoOptions },
];

const worker = (env: Env = {}) => workerConfigFromEnv(env);

/**
 * Defaults the table describes in words rather than as a value, each with the check that the
 * reader does what the words say. A change of wording in the README must be made here too.
 */
const DESCRIBED_DEFAULTS: Readonly<Record<string, { text: string; check: () => void }>> = {
  ...Object.fromEntries(
    Object.keys(REQUIRED_RESOURCES).map((name) => [
      name,
      {
        text: '(required)',
        check: () =>
          expect(() => resourcesFromEnv({ ...REQUIRED_RESOURCES, [name]: undefined })).toThrow(name),
      },
    ]),
  ),
  FERRY_WEBHOOK_QUEUE_URL: {
    text: 'unset',
    check: () => expect(resourcesFromEnv(REQUIRED_RESOURCES).webhookQueueUrl).toBeUndefined(),
  },
  FERRY_DLQ_URL: {
    text: 'unset',
    check: () => expect(resourcesFromEnv(REQUIRED_RESOURCES).dlqUrl).toBeUndefined(),
  },
  FERRY_INGEST_FAILURES_QUEUE_URL: {
    text: 'unset',
    check: () => expect(resourcesFromEnv(REQUIRED_RESOURCES).ingestFailuresQueueUrl).toBeUndefined(),
  },
  FERRY_WORKER_ID: { text: '`<hostname>-<pid>`', check: () => expect(worker().workerId).toMatch(/-\d+$/) },
  FERRY_INFERENCE_THREADS: {
    text: 'cores',
    check: () => expect(worker().inferenceThreads).toBe(availableParallelism()),
  },
  FERRY_MAX_IN_FLIGHT: {
    text: '2 × threads × batch + 2',
    check: () =>
      expect(worker({ FERRY_INFERENCE_THREADS: '3', FERRY_MAX_BATCH_SIZE: '4' }).maxInFlight).toBe(
        2 * 3 * 4 + 2,
      ),
  },
  FERRY_TASK_MODULES: { text: 'none', check: () => expect(worker().taskModules).toEqual([]) },
  FERRY_BUILT_IN_TASKS: { text: 'all', check: () => expect(worker().builtInTasks).toBeUndefined() },
  FERRY_FFMPEG_PATH: {
    text: 'npm static builds',
    check: () => expect(readVideoOptions({}).ffmpegPath).toBeUndefined(),
  },
  FERRY_FFPROBE_PATH: {
    text: 'npm static builds',
    check: () => expect(readVideoOptions({}).ffprobePath).toBeUndefined(),
  },
};

interface Row {
  /** The variable names of the row, in order; a name may end in `*` (a family of variables). */
  names: string[];
  /** The default of each name, as written (a row with one default for several names repeats it). */
  defaults: string[];
}

/** The table under "## The worker" whose header is `| variable | default | meaning |`. */
function workerTable(): Row[] {
  const section = README.slice(README.indexOf('\n## The worker'));
  const lines = section.slice(section.indexOf('| variable | default | meaning |')).split('\n');
  const rows: Row[] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    const [namesCell = '', defaultCell = ''] = line.split(' | ').map((c) => c.replace(/^\|\s*/, '').trim());
    const names = [...namesCell.matchAll(/`(FERRY_[A-Z0-9_]+\*?)`/g)].map((m) => m[1] ?? '');
    // A note after the value, e.g. "`cuda,cpu` (`npm start`: `cpu`)", is not part of it.
    const value = defaultCell.replace(/^(`[^`]+`) \(.*\)$/, '$1');
    // One default per name ("60, 20"; "cores × 1"), or one for them all ("(required)").
    const split = names.length > 1 ? value.split(/, | × /) : [value];
    const defaults = split.length === 1 ? names.map(() => value) : split;
    rows.push({ names, defaults });
  }
  return rows;
}

const UNITS: Readonly<Record<string, number>> = { MiB: 1024 ** 2, GiB: 1024 ** 3, MP: 1_000_000 };

/** A written default as the variable's value: `code` as is, "20 MiB" in bytes, "40 MP" in pixels. */
function asValue(written: string): string {
  const code = /^`([^`]+)`$/.exec(written);
  if (code) return code[1] ?? '';
  const sized = /^(\d+(?:\.\d+)?) (MiB|GiB|MP)$/.exec(written);
  if (sized) return String(Number(sized[1]) * (UNITS[sized[2] ?? ''] ?? Number.NaN));
  if (/^\d+(\.\d+)?$/.test(written)) return written;
  throw new Error(`default "${written}" is neither a value nor listed in DESCRIBED_DEFAULTS`);
}

/** The source that reads `name`: setting it to a value no schema accepts as it is changes or fails the result. */
function sourceOf(name: string): Source | undefined {
  return SOURCES.find((source) => {
    try {
      return !isEqual(source.read({ ...source.base, [name]: '@not-a-value@' }), source.read(source.base));
    } catch (error) {
      return error instanceof ConfigError && error.message.includes(name);
    }
  });
}

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const rows = workerTable();
const documented = rows.flatMap((row) =>
  row.names.map((name, i) => ({ name, written: row.defaults[i] ?? '' })),
);

describe('README worker environment table', () => {
  test('is found, and each row gives one default per variable', () => {
    expect(documented.length).toBeGreaterThan(30);
    for (const row of rows) expect(row.defaults, row.names.join(', ')).toHaveLength(row.names.length);
  });

  test.each(documented.filter((d) => !d.name.endsWith('*')))(
    '$name is read by a schema, with the default "$written"',
    ({ name, written }) => {
      const source = sourceOf(name);
      expect(source, `${name} is read by none of ${SOURCES.map((s) => s.name).join(', ')}`).toBeDefined();
      if (!source) return;
      const described = DESCRIBED_DEFAULTS[name];
      if (described) {
        expect(written).toBe(described.text);
        described.check();
        return;
      }
      expect(source.read({ ...source.base, [name]: asValue(written) })).toEqual(source.read(source.base));
    },
  );

  test('a family of variables (FERRY_OCR_*) points at the file that defines them', () => {
    for (const { name, written } of documented.filter((d) => d.name.endsWith('*'))) {
      const file = /^see `([^`]+)`$/.exec(written)?.[1];
      expect(file, `${name}: default should be "see \`<file>\`"`).toBeDefined();
      expect(readFileSync(new URL(file ?? '', ROOT), 'utf8')).toContain(name.slice(0, -1));
    }
  });

  test('lists every variable of the worker schemas', () => {
    const listed = (variable: string) =>
      documented.some(({ name }) =>
        name.endsWith('*') ? variable.startsWith(name.slice(0, -1)) : name === variable,
      );
    for (const source of SOURCES)
      for (const variable of source.variables ?? [])
        expect(listed(variable), `${variable} (${source.name}) is missing from the README table`).toBe(true);
  });

  test('would notice a wrong default', () => {
    expect(worker({ FERRY_HEALTH_PORT: '9401' })).not.toEqual(worker());
    expect(readVideoOptions({ FERRY_VIDEO_MAX_SIDE: '1281' })).not.toEqual(readVideoOptions({}));
  });
});
