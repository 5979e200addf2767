/**
 * @module bench/rows/push-row
 * Row "push": the push channel's delay (finishedAt -> final event at a watcher) with 1 watcher
 * and with many, on a stack of its own (push-fanout.ts does the measuring).
 */
import { ensureLocalClient } from '../../scripts/local/local-client.ts';
import { provisionPush, suffixedPushNames } from '../../scripts/local/provision-push.ts';
import type { BenchStack } from '../stack.ts';
import { type PushFanoutResult, runPushFanout } from './push-fanout.ts';

export interface PushRow {
  single: PushFanoutResult;
  many: PushFanoutResult;
}

export async function runPushRow(o: {
  stack: BenchStack;
  watchers: number;
  log: (line: string) => void;
}): Promise<PushRow> {
  const suffix = o.stack.outputs.table.split('-').pop() ?? 'bench';
  const push = await provisionPush(o.stack.outputs, suffixedPushNames(suffix));
  const client = await ensureLocalClient(o.stack.outputs, 'bench', { requestsPerSec: 1000, burst: 1000 });
  const common = {
    pushUrl: push.pushUrl,
    apiKey: client.apiKey,
    clientId: client.clientId,
    bucket: o.stack.outputs.bucket,
    jobs: o.stack.jobs,
    log: o.log,
  };
  const single = await runPushFanout({ ...common, watchers: 1, jobCount: 20 });
  o.log(`push: 1 watcher, p50 ${single.delay.p50} ms, p95 ${single.delay.p95} ms`);
  const many = await runPushFanout({ ...common, watchers: o.watchers, jobCount: 5, timeoutMs: 120_000 });
  o.log(`push: ${o.watchers} watchers, p50 ${many.delay.p50} ms, p95 ${many.delay.p95} ms`);
  return { single, many };
}
