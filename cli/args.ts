/**
 * @module cli/args
 * Parses `ferry` command lines (node:util parseArgs) into one typed command, or a UsageError
 * that says what is wrong. Global flags may come before or after the command name.
 */
import { parseArgs } from 'node:util';
import { JobStatus } from '../core/job.ts';
import { UsageError } from './errors.ts';

export interface GlobalFlags {
  apiUrl?: string;
  apiKey?: string;
  json: boolean;
}

export type Command =
  | { name: 'help'; topic?: CommandName }
  | { name: 'version' }
  | { name: 'submit'; files: string[]; task?: string; wait: boolean; concurrency: number; flags: GlobalFlags }
  | { name: 'status'; jobId: string; flags: GlobalFlags }
  | { name: 'jobs'; status?: JobStatus; limit?: number; cursor?: string; flags: GlobalFlags }
  | { name: 'result'; jobId: string; output?: string; flags: GlobalFlags }
  | { name: 'cancel'; jobId: string; flags: GlobalFlags }
  | { name: 'watch'; jobIds: string[]; flags: GlobalFlags }
  | OperatorCommand;

/** Commands that talk to AWS directly with the operator's credentials (cli/operator.ts). */
export type OperatorCommand =
  | { name: 'stats'; outputs?: string; flags: GlobalFlags }
  | { name: 'redrive'; dryRun: boolean; ingest: boolean; outputs?: string; flags: GlobalFlags }
  | { name: 'retry'; jobId: string; outputs?: string; flags: GlobalFlags };

export type CommandName =
  | 'submit'
  | 'status'
  | 'jobs'
  | 'result'
  | 'cancel'
  | 'watch'
  | 'stats'
  | 'redrive'
  | 'retry';

const OPERATOR_COMMANDS: ReadonlySet<string> = new Set(['stats', 'redrive', 'retry']);

export function isOperatorCommand(command: Command): command is OperatorCommand {
  return OPERATOR_COMMANDS.has(command.name);
}

const OPTIONS = {
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  task: { type: 'string' },
  wait: { type: 'boolean', short: 'w' },
  concurrency: { type: 'string', short: 'c' },
  status: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'dry-run': { type: 'boolean' },
  ingest: { type: 'boolean' },
  outputs: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;

const GLOBAL: OptionName[] = ['api-url', 'api-key', 'json', 'help', 'version'];
const COMMAND_OPTIONS: Record<CommandName, OptionName[]> = {
  submit: ['task', 'wait', 'concurrency'],
  status: [],
  jobs: ['status', 'limit', 'cursor'],
  result: ['output'],
  cancel: [],
  watch: [],
  stats: ['outputs'],
  redrive: ['dry-run', 'ingest', 'outputs'],
  retry: ['outputs'],
};

export const DEFAULT_CONCURRENCY = 4;

export const USAGE = `Usage: ferry <command> [options]

Commands:
  submit <files...>   Upload files as jobs
      --task NAME         Task to run (default: ocr)
      -w, --wait          Wait for the jobs and print their results
      -c, --concurrency N Files uploaded (and waited for) at a time (default: ${DEFAULT_CONCURRENCY})
  status <jobId>      Show a job
  jobs                List jobs, newest first
      --status S          Only jobs in status S (${Object.values(JobStatus).join(', ')})
      --limit N           Jobs per page, 1..100 (default: 20)
      --cursor C          Continue from a previous page
  result <jobId>      Print a finished job's result text
      -o, --output FILE   Write the whole result JSON to FILE instead
  cancel <jobId>      Cancel a job that has not finished
  watch [jobIds...]   Print each job's changes live until all are final (no ids: all your jobs,
                      until Ctrl-C); polls when the push channel is unreachable

Operator commands (AWS directly, with your AWS credentials; not through the API):
  stats               Jobs queue backlog and in flight, oldest waiting job, dead letters, jobs per
                      state, ingest failures waiting and replayed, orphaned uploads found
  redrive             Move dead letters of jobs that are not final back to the jobs queue
      --dry-run           Only say what would move
      --ingest            Instead replay the upload events ingest gave up on (ingest failures queue)
  retry <jobId>       Run a FAILED job again as a new job linked to it (retryOf/retriedAs, history)
      --outputs FILE      Resources from FILE (default: .ferry/outputs.json; or FERRY_TABLE,
                          FERRY_QUEUE_URL, FERRY_DLQ_URL with AWS_REGION / AWS_ENDPOINT_URL)

Options:
  --api-url URL       API base URL (or FERRY_API_URL, or apiUrl in .ferry/outputs.json)
  --api-key KEY       API key (or FERRY_API_KEY, or apiKey in .ferry/outputs.json)
                      Push channel: FERRY_PUSH_URL, or pushUrl in .ferry/outputs.json
  --json              Print JSON on stdout instead of text
  -h, --help          Show this help
  -v, --version       Show the version

Exit codes: 0 all succeeded, 1 a job failed or was canceled (or a request was refused), 2 usage or configuration error.
`;

export function parseCommandLine(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals, tokens } = parsed;
  const [commandName, ...rest] = positionals;

  if (values.version) return { name: 'version' };
  if (commandName === 'help') return { name: 'help', ...(isCommand(rest[0]) ? { topic: rest[0] } : {}) };
  if (values.help) return { name: 'help', ...(isCommand(commandName) ? { topic: commandName } : {}) };
  if (commandName === undefined)
    throw new UsageError(
      'Name a command: submit, status, jobs, result, cancel, watch, stats, redrive or retry',
    );
  if (!isCommand(commandName)) {
    throw new UsageError(
      `Unknown command "${commandName}"; use submit, status, jobs, result, cancel, watch, stats, redrive or retry`,
    );
  }

  const allowed = new Set<string>([...GLOBAL, ...COMMAND_OPTIONS[commandName]]);
  for (const token of tokens) {
    if (token.kind === 'option' && !allowed.has(token.name)) {
      throw new UsageError(`--${token.name} is not an option of "ferry ${commandName}"`);
    }
  }
  const flags: GlobalFlags = {
    json: values.json ?? false,
    ...(values['api-url'] !== undefined ? { apiUrl: values['api-url'] } : {}),
    ...(values['api-key'] !== undefined ? { apiKey: values['api-key'] } : {}),
  };

  switch (commandName) {
    case 'submit': {
      if (rest.length === 0) throw new UsageError('ferry submit needs at least one file');
      return {
        name: 'submit',
        files: rest,
        ...(values.task !== undefined ? { task: values.task } : {}),
        wait: values.wait ?? false,
        concurrency:
          values.concurrency === undefined
            ? DEFAULT_CONCURRENCY
            : integer('--concurrency', values.concurrency, 1, 64),
        flags,
      };
    }
    case 'jobs': {
      if (rest.length > 0) throw new UsageError(`ferry jobs takes no arguments (got "${rest[0]}")`);
      return {
        name: 'jobs',
        ...(values.status !== undefined ? { status: jobStatus(values.status) } : {}),
        ...(values.limit !== undefined ? { limit: integer('--limit', values.limit, 1, 100) } : {}),
        ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
        flags,
      };
    }
    case 'watch':
      return { name: 'watch', jobIds: rest, flags };
    case 'status':
    case 'cancel':
      return { name: commandName, jobId: singleJobId(commandName, rest), flags };
    case 'result':
      return {
        name: 'result',
        jobId: singleJobId(commandName, rest),
        ...(values.output !== undefined ? { output: values.output } : {}),
        flags,
      };
    case 'stats':
    case 'redrive': {
      if (rest.length > 0) throw new UsageError(`ferry ${commandName} takes no arguments (got "${rest[0]}")`);
      const outputs = values.outputs !== undefined ? { outputs: values.outputs } : {};
      return commandName === 'stats'
        ? { name: 'stats', ...outputs, flags }
        : redriveCommand(values['dry-run'] ?? false, values.ingest ?? false, outputs, flags);
    }
    case 'retry':
      return {
        name: 'retry',
        jobId: singleJobId(commandName, rest),
        ...(values.outputs !== undefined ? { outputs: values.outputs } : {}),
        flags,
      };
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
}

function isCommand(value: string | undefined): value is CommandName {
  return value !== undefined && Object.hasOwn(COMMAND_OPTIONS, value);
}

function singleJobId(command: CommandName, rest: string[]): string {
  if (rest.length !== 1 || !rest[0]) throw new UsageError(`ferry ${command} needs exactly one job id`);
  return rest[0];
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number ${min}..${max}, not "${value}"`);
  return n;
}

function jobStatus(value: string): JobStatus {
  const status = value.toUpperCase();
  if (!(Object.values(JobStatus) as string[]).includes(status)) {
    throw new UsageError(`--status must be one of ${Object.values(JobStatus).join(', ')}, not "${value}"`);
  }
  return status as JobStatus;
}

function redriveCommand(
  dryRun: boolean,
  ingest: boolean,
  outputs: { outputs?: string },
  flags: GlobalFlags,
): OperatorCommand {
  // A replay is an ingest, and ingest is idempotent: there is nothing to preview.
  if (dryRun && ingest) throw new UsageError('ferry redrive --ingest does not take --dry-run');
  return { name: 'redrive', dryRun, ingest, ...outputs, flags };
}
