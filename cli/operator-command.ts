/**
 * @module cli/operator-command
 * Runs one operator command (stats, redrive, retry; cli/operator.ts) and maps its outcome to an
 * exit code: 0 done, 1 the job could not be retried, a dead letter could not be moved (a
 * request AWS refused) or an upload event failed its replay again, 2 configuration, including AWS or the emulator being unreachable.
 */
import type { OperatorCommand } from './args.ts';
import { ExitCode } from './errors.ts';
import type { CliIo } from './io.ts';
import {
  redrive,
  redriveIngest,
  redriveIngestText,
  redriveText,
  retry,
  retryText,
  stats,
  statsText,
} from './operator.ts';
import { operatorClients, resolveOperatorResources, unreachable } from './operator-config.ts';

export async function runOperatorCommand(command: OperatorCommand, io: CliIo): Promise<ExitCode> {
  const resources = await resolveOperatorResources({
    ...(command.outputs !== undefined ? { outputsFile: command.outputs } : {}),
    env: io.env,
    cwd: io.cwd,
    readText: async (file) => Buffer.from(await io.readFile(file)).toString('utf8'),
  });
  const clients = operatorClients(resources, io.env);
  const print = (value: unknown, text: string) =>
    io.stdout.write(`${command.flags.json ? JSON.stringify(value, null, 2) : text}\n`);
  try {
    switch (command.name) {
      case 'stats': {
        const s = await stats(clients);
        print(s, statsText(s));
        return ExitCode.Ok;
      }
      case 'redrive': {
        if (command.ingest) {
          const replay = await redriveIngest(clients, io.env);
          print(replay, redriveIngestText(replay));
          return replay.failed + replay.unreadable > 0 ? ExitCode.Failed : ExitCode.Ok;
        }
        const report = await redrive(clients, { dryRun: command.dryRun });
        print(report, redriveText(report));
        return ExitCode.Ok;
      }
      case 'retry': {
        const result = await retry(clients, command.jobId);
        print(result, retryText(result));
        return ExitCode.Ok;
      }
    }
  } catch (error) {
    throw unreachable(error, resources) ?? error;
  } finally {
    clients.close();
  }
}
