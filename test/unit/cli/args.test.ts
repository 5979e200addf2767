/** `ferry` command-line parsing and API configuration lookup. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONCURRENCY, parseCommandLine } from '../../../cli/args.ts';
import { resolveApiConfig } from '../../../cli/config.ts';
import { CliConfigError, UsageError } from '../../../cli/errors.ts';

describe('parseCommandLine', () => {
  it('parses submit with its options, global flags anywhere', () => {
    expect(
      parseCommandLine([
        '--api-url',
        'http://x',
        'submit',
        'a.png',
        'b.jpg',
        '--task',
        'ocr',
        '--wait',
        '-c',
        '2',
        '--json',
      ]),
    ).toEqual({
      name: 'submit',
      files: ['a.png', 'b.jpg'],
      task: 'ocr',
      wait: true,
      concurrency: 2,
      flags: { apiUrl: 'http://x', json: true },
    });
    expect(parseCommandLine(['submit', 'a.png'])).toMatchObject({
      wait: false,
      concurrency: DEFAULT_CONCURRENCY,
    });
  });

  it('parses status, jobs, result and cancel', () => {
    expect(parseCommandLine(['status', 'id1'])).toMatchObject({ name: 'status', jobId: 'id1' });
    expect(parseCommandLine(['jobs', '--status', 'queued', '--limit', '5', '--cursor', 'c'])).toMatchObject({
      name: 'jobs',
      status: 'QUEUED',
      limit: 5,
      cursor: 'c',
    });
    expect(parseCommandLine(['result', 'id1', '-o', 'out.json'])).toMatchObject({
      name: 'result',
      jobId: 'id1',
      output: 'out.json',
    });
    expect(parseCommandLine(['cancel', 'id1', '--api-key', 'k'])).toMatchObject({
      name: 'cancel',
      flags: { apiKey: 'k' },
    });
  });

  it('recognises help and version', () => {
    expect(parseCommandLine(['--help'])).toEqual({ name: 'help' });
    expect(parseCommandLine(['submit', '-h'])).toEqual({ name: 'help', topic: 'submit' });
    expect(parseCommandLine(['help', 'jobs'])).toEqual({ name: 'help', topic: 'jobs' });
    expect(parseCommandLine(['-v'])).toEqual({ name: 'version' });
  });

  it.each([
    [[], /Name a command/],
    [['launch'], /Unknown command "launch"/],
    [['submit'], /at least one file/],
    [['status'], /exactly one job id/],
    [['status', 'a', 'b'], /exactly one job id/],
    [['jobs', 'extra'], /takes no arguments/],
    [['jobs', '--status', 'DONE'], /--status must be one of/],
    [['jobs', '--limit', '0'], /--limit must be a whole number 1..100/],
    [['jobs', '--limit', '2.5'], /--limit must be a whole number/],
    [['submit', 'a.png', '-c', 'many'], /--concurrency must be a whole number 1..64/],
    [['status', 'id', '--wait'], /--wait is not an option of "ferry status"/],
    [['submit', 'a.png', '--bogus'], /Unknown option '--bogus'/],
    [['submit', 'a.png', '--task'], /argument missing/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe('resolveApiConfig', () => {
  const outputs = JSON.stringify({ apiUrl: 'http://127.0.0.1:8787/', apiKey: 'local-key' });
  const sources = (over: { flags?: object; env?: Record<string, string>; file?: string | Error }) => ({
    flags: { json: false, ...over.flags },
    env: over.env ?? {},
    cwd: '/proj',
    readText: async (file: string) => {
      expect(file).toBe('/proj/.ferry/outputs.json');
      if (over.file instanceof Error) throw over.file;
      if (over.file === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return over.file;
    },
  });

  it('prefers flags, then env, then .ferry/outputs.json, field by field', async () => {
    expect(await resolveApiConfig(sources({ file: outputs }))).toEqual({
      apiUrl: 'http://127.0.0.1:8787',
      apiKey: 'local-key',
    });
    expect(await resolveApiConfig(sources({ file: outputs, env: { FERRY_API_KEY: 'env-key' } }))).toEqual({
      apiUrl: 'http://127.0.0.1:8787',
      apiKey: 'env-key',
    });
    expect(
      await resolveApiConfig(
        sources({
          file: outputs,
          env: { FERRY_API_URL: 'https://env.example' },
          flags: { apiUrl: 'https://flag.example/v1/' },
        }),
      ),
    ).toEqual({ apiUrl: 'https://flag.example/v1', apiKey: 'local-key' });
  });

  it.each([
    [{}, /No API URL/],
    [{ env: { FERRY_API_URL: 'https://a.example' } }, /No API key/],
    [{ env: { FERRY_API_URL: 'ftp://a.example', FERRY_API_KEY: 'k' } }, /must start with http/],
    [{ env: { FERRY_API_URL: 'nonsense', FERRY_API_KEY: 'k' } }, /is not a URL/],
    [{ file: '{not json' }, /not valid JSON/],
  ])('refuses %j with a configuration error', async (over, message) => {
    const promise = resolveApiConfig(sources(over));
    await expect(promise).rejects.toBeInstanceOf(CliConfigError);
    await expect(resolveApiConfig(sources(over))).rejects.toThrow(message);
  });
});
