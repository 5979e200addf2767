/**
 * @module core/env
 * One way to read configuration from environment variables, over zod: schemas for the kinds of
 * value Ferry's variables hold (integers and numbers in a range, booleans, lists, one of a set)
 * and readEnv(), which treats an empty variable as unset and throws one ConfigError naming each
 * bad variable, its value and what it must be. The worker, the functions and the OCR task read
 * their variables through it; infra/options-check.ts uses the same range rules for the stack.
 */
import { z } from 'zod';
import { ConfigError } from './errors.ts';

const range = (min: number, max: number, unit: string) => `from ${min} to ${max}${unit ? ` ${unit}` : ''}`;

/** An integer from min to max (inclusive); `unit` only words the message ("seconds", "MiB"). */
export function envInt(min: number, max: number, unit = '') {
  const message = `must be an integer ${range(min, max, unit)}`;
  return z.coerce.number({ message }).int({ message }).min(min, { message }).max(max, { message });
}

/** A finite number from min to max (inclusive). */
export function envNumber(min: number, max: number, unit = '') {
  const message = `must be a number ${range(min, max, unit)}`;
  return z.coerce.number({ message }).min(min, { message }).max(max, { message });
}

/** The one boolean spelling: true/false or 1/0, any case. */
export function envBool() {
  return z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(['true', 'false', '1', '0'], { message: 'must be true or false (or 1 or 0)' }))
    .transform((v) => v === 'true' || v === '1');
}

/** A comma-separated list; blanks around and between items are dropped. */
export function envList() {
  return z.string().transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
}

/** One of `values`, as written. */
export function envEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { message: `must be one of ${values.join(', ')}` });
}

/**
 * Parses `env` with `schema`. Empty variables count as unset (as in `VAR= command`), so their
 * defaults apply. Throws ConfigError listing every bad variable as `NAME="value": must be ...`.
 */
export function readEnv<T extends z.ZodType>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): z.output<T> {
  const set = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => (entry[1] ?? '').trim() !== ''),
  );
  const parsed = schema.safeParse(set);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(root)');
    const value = set[name];
    return `  ${value === undefined ? name : `${name}=${JSON.stringify(value)}`}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
