/**
 * @module test/support/infra/recorded-calls
 * The IAM check of a test run: reads the AWS calls every component recorded (core/aws-calls.ts,
 * one folder per run) and evaluates each distinct IAM request against the synthesised policy of
 * the component's role (iam-simulation.ts). The report names each denied request with the
 * component, the call and the missing action, and each component that recorded nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AWS_COMPONENTS, type AwsCall } from '../../../core/aws-calls.ts';
import {
  COMPONENT_ROLES,
  evaluate,
  type IamRequest,
  iamRequestsOf,
  type PolicyStatement,
  type StackNames,
} from './iam-simulation.ts';

/** Where a test run's call logs go, one folder per run (test-artifacts/ is git-ignored). */
export function newCallLogDir(now = new Date()): string {
  return path.join(
    'test-artifacts',
    'aws-calls',
    `${now.toISOString().replace(/[:.]/g, '-')}-${process.pid}`,
  );
}

/** Every call recorded under `dir` (each component's `<component>.jsonl`). */
export function readCalls(dir: string): AwsCall[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as AwsCall),
    );
}

export interface CheckResult {
  /** One line per failure: a denied request, an unmapped call, a component without calls. */
  failures: string[];
  /** The summary to print, one line per component. */
  summary: string[];
}

type Role = keyof typeof COMPONENT_ROLES;
const isRole = (c: string): c is Role => c in COMPONENT_ROLES;

/**
 * Evaluates `calls` against `policies` (component -> statements). With `requireAll`, every role
 * component must have recorded at least one call, so the check cannot pass on an empty log.
 */
export function checkCalls(
  calls: AwsCall[],
  policies: Record<Role, PolicyStatement[]>,
  names: StackNames,
  { requireAll }: { requireAll: boolean },
): CheckResult {
  const failures: string[] = [];
  const summary: string[] = [];
  const byComponent = new Map<string, Map<string, { request: IamRequest; call: AwsCall }>>();
  for (const call of calls) {
    if (!(AWS_COMPONENTS as readonly string[]).includes(call.component)) {
      failures.push(`a call recorded for an unknown component "${call.component}": ${describe(call)}`);
      continue;
    }
    let requests: IamRequest[];
    try {
      requests = iamRequestsOf(call, names);
    } catch (error) {
      failures.push(`${call.component}: ${describe(call)}: ${(error as Error).message}`);
      continue;
    }
    const distinct = byComponent.get(call.component) ?? new Map();
    byComponent.set(call.component, distinct);
    for (const request of requests) distinct.set(`${request.action} ${request.resource}`, { request, call });
  }
  for (const component of AWS_COMPONENTS) {
    const distinct = byComponent.get(component);
    if (!distinct) {
      if (requireAll && isRole(component))
        failures.push(`${component}: no AWS calls recorded (is its recorder wired?)`);
      continue;
    }
    if (!isRole(component)) {
      const actions = [...new Set([...distinct.values()].map((d) => d.request.action))].sort();
      summary.push(
        `${component}: ${distinct.size} distinct requests, not checked (the operator's own credentials): ${actions.join(', ')}`,
      );
      continue;
    }
    let denied = 0;
    for (const { request, call } of distinct.values()) {
      const decision = evaluate(policies[component], request);
      if (decision.allowed) continue;
      denied++;
      failures.push(
        `${component} (${COMPONENT_ROLES[component]}) lacks ${request.action} on ${request.resource}: ${describe(call)}, ${decision.reason}`,
      );
    }
    summary.push(
      `${component} (${COMPONENT_ROLES[component]}): ${distinct.size} distinct requests, ${denied === 0 ? 'all allowed' : `${denied} denied`}`,
    );
  }
  return { failures, summary };
}

function describe(call: AwsCall): string {
  return `${call.service} ${call.operation} ${JSON.stringify(call.resources)}`;
}
