/**
 * @module test/support/infra/synth
 * Synthesises the real sst.config.ts offline: bundles it with esbuild exactly as the SST CLI
 * does (same defines, injected globals and externals; see sst/pkg/js and pkg/project/stack.go),
 * runs the bundle in a child process under Pulumi mocks (synth-runner.ts) and returns every
 * resource the program registered, with its inputs, for tests to assert on.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { SynthOutput, SynthResource } from './synth-runner.ts';

export type { SynthResource } from './synth-runner.ts';

const run = promisify(execFile);

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const PLATFORM = join(ROOT, '.sst', 'platform');

/**
 * Makes sure `.sst/platform` (SST's components and Pulumi packages) exists, with the same step
 * CI runs first (scripts/check-infra.sh install; needs only the npm registry).
 */
export async function ensureSstPlatform(): Promise<void> {
  if (existsSync(join(PLATFORM, 'config.d.ts'))) return;
  await run('bash', [join(ROOT, 'scripts', 'check-infra.sh'), 'install'], { cwd: ROOT, timeout: 240_000 });
}

/** The banner every SST config bundle starts with (CommonJS shims for ESM output). */
const BANNER = [
  "import { createRequire as topLevelCreateRequire } from 'module';",
  'const require = topLevelCreateRequire(import.meta.url);',
  "import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from 'url';",
  'const __filename = topLevelFileUrlToPath(import.meta.url);',
  "const __dirname = topLevelFileUrlToPath(new topLevelURL('.', import.meta.url));",
].join('\n');

/** Packages the SST CLI leaves external (resolved from .sst/platform/node_modules at run time). */
const EXTERNAL = [
  '@pulumi/*',
  'undici',
  '@pulumiverse/*',
  '@sst-provider/*',
  '@aws-sdk/*',
  'esbuild',
  'archiver',
  'glob',
  'vite',
];

/** What to synthesise: the app (sst.config.ts) by default. */
export interface SynthTarget {
  /**
   * A test program instead: JS source that imports infra modules by absolute path and declares
   * `async function program()` (the body of a run()). Bundled like the config, so the infra
   * modules see SST's globals.
   */
  program?: string;
}

function entry(target: SynthTarget): string {
  const runner = JSON.stringify(join(ROOT, 'test', 'support', 'infra', 'synth-runner.ts'));
  const sstRun = JSON.stringify(join(PLATFORM, 'src', 'auto', 'run.ts'));
  if (target.program === undefined) {
    return [
      `import { synthesize } from ${runner};`,
      `import { run } from ${sstRun};`,
      `import config from ${JSON.stringify(join(ROOT, 'sst.config.ts'))};`,
      'await synthesize(config, run);',
    ].join('\n');
  }
  return [
    `import { synthesize } from ${runner};`,
    `import { run } from ${sstRun};`,
    target.program,
    "await synthesize({ app: () => ({ name: 'ferry', removal: 'remove', protect: false }), run: program }, run);",
  ].join('\n');
}

async function bundle(outfile: string, target: SynthTarget): Promise<void> {
  // The CLI prepends these to every user file; config.d.ts declares them as globals.
  const globals = `import * as aws from "@pulumi/aws";\nimport * as sst from "${join(PLATFORM, 'src', 'components')}";\n`;
  await build({
    stdin: {
      contents: entry(target),
      resolveDir: ROOT,
      sourcefile: 'eval.ts',
      loader: 'ts',
    },
    banner: { js: BANNER },
    bundle: true,
    format: 'esm',
    platform: 'node',
    mainFields: ['module', 'main'],
    nodePaths: [join(PLATFORM, 'node_modules')],
    external: EXTERNAL,
    // Constants in a real build; globals here, so the runner can evaluate app() per stage first.
    define: { $app: 'globalThis.__ferrySynthApp', $cli: 'globalThis.__ferrySynthCli', $dev: 'false' },
    inject: [join(PLATFORM, 'src', 'shim', 'run.js')],
    outfile,
    logLevel: 'silent',
    plugins: [
      {
        name: 'inject-sst-globals',
        setup(b) {
          b.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, (args) => {
            const contents = readFileSync(args.path, 'utf8');
            return {
              contents: args.path.startsWith(PLATFORM) ? contents : globals + contents,
              loader: 'default',
            };
          });
        },
      },
    ],
  });
}

/** Every resource of the synthesised stack, with lookup helpers that fail loudly. */
export class Synth {
  readonly output: SynthOutput;
  constructor(output: SynthOutput) {
    this.output = output;
  }

  get resources(): SynthResource[] {
    return this.output.resources;
  }

  /** All resources of a Pulumi type token, e.g. "aws:sqs/queue:Queue". */
  all(type: string): SynthResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource of `type` (and logical `name`, when given); throws if absent or ambiguous. */
  one(type: string, name?: string): SynthResource {
    const found = this.all(type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) {
      const names = this.all(type).map((r) => r.name);
      throw new Error(
        `expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length} (have: ${names.join(', ')})`,
      );
    }
    return found[0] as SynthResource;
  }

  /** The inputs of one resource, typed by the caller. */
  inputs<T = Record<string, unknown>>(type: string, name?: string): T {
    return this.one(type, name).inputs as T;
  }
}

/** Synthesises the stack for `stage` (about 2 s). Throws with the program's stderr if it fails. */
export async function synthesize(stage: string, target: SynthTarget = {}): Promise<Synth> {
  await ensureSstPlatform();
  const work = mkdtempSync(join(tmpdir(), 'ferry-synth-'));
  // Inside .sst/platform so Node resolves the external packages from its node_modules.
  const outfile = join(PLATFORM, `.ferry-synth-${process.pid}-${stage}-${Date.now()}.mjs`);
  const out = join(work, 'synth.json');
  try {
    await bundle(outfile, target);
    try {
      await run(process.execPath, [outfile], {
        cwd: ROOT,
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          FERRY_SYNTH_STAGE: stage,
          FERRY_SYNTH_WORK: work,
          FERRY_SYNTH_ROOT: ROOT,
          FERRY_SYNTH_OUT: out,
        },
      });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `synthesising stage ${stage} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`,
        { cause: error },
      );
    }
    return new Synth(JSON.parse(await readFile(out, 'utf8')) as SynthOutput);
  } finally {
    rmSync(outfile, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
