/**
 * @module test/support/infra/check-recorded-calls
 * `npm test`'s last step (scripts/test.sh): the IAM check of the calls the run recorded.
 * Synthesises the `ci` stage offline (synth.ts), evaluates every recorded call against its
 * component's role and exits 1 naming each denied request, or prints the summary.
 *   Usage: tsx test/support/infra/check-recorded-calls.ts <call log folder> [--partial]
 * --partial (a chosen subset of test files): components that recorded nothing are not a failure.
 */
import { existsSync } from 'node:fs';
import { ensureWebBuild } from '../../../scripts/local/web-build.ts';
import { COMPONENT_ROLES, roleStatements, stackNames } from './iam-simulation.ts';
import { checkCalls, readCalls } from './recorded-calls.ts';
import { synthesize } from './synth.ts';

const [dir, flag] = process.argv.slice(2);
if (!dir || !existsSync(dir) || (flag !== undefined && flag !== '--partial')) {
  console.error('usage: check-recorded-calls.ts <call log folder> [--partial]');
  process.exit(2);
}
// The stack deploys the built web app, so the synthesis needs it (the test run built it already).
await ensureWebBuild();
const synth = await synthesize('ci');
const policies = Object.fromEntries(
  Object.entries(COMPONENT_ROLES).map(([component, role]) => [component, roleStatements(synth, role)]),
) as Parameters<typeof checkCalls>[1];
const calls = readCalls(dir);
const { failures, summary } = checkCalls(calls, policies, stackNames(synth), {
  requireAll: flag !== '--partial',
});
console.log(`IAM check: ${calls.length} recorded AWS calls (${dir}) against the synthesised ci stage`);
for (const line of summary) console.log(`  ${line}`);
if (failures.length > 0) {
  for (const line of failures) console.error(`IAM check failed: ${line}`);
  process.exit(1);
}
console.log('IAM check: every recorded call is allowed by its role');
