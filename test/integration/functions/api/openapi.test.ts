/**
 * The OpenAPI document: valid OpenAPI 3.1 (checked by an off-the-shelf validator), served at
 * /openapi.json without a key, equal to the committed openapi.json, and listing every route the
 * Hono app serves.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../../functions/api/app.ts';
import type { ApiDeps } from '../../../../functions/api/deps.ts';
import { openApiDocument } from '../../../../functions/api/openapi.ts';

const ROOT = path.resolve(import.meta.dirname, '../../../..');

/** Routes never reach a dependency here: /openapi.json is answered before auth. */
const app = createApp({
  options: { corsOrigins: ['*'], maxBodyBytes: 1024 },
  logger: { info: () => undefined, error: () => undefined },
} as unknown as ApiDeps);

describe('OpenAPI document', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(openApiDocument());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is served at /openapi.json without a key, and matches the committed openapi.json', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const served = await res.json();
    const committed = JSON.parse(await readFile(path.join(ROOT, 'openapi.json'), 'utf8'));
    expect(served).toEqual(committed);
  });

  it('lists every route the app serves', () => {
    const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
    const served = app.routes
      .filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{jobId}')}`);
    expect(served.length).toBeGreaterThan(0);
    for (const route of served) {
      const [method = '', routePath = ''] = route.split(' ');
      expect(paths[routePath]?.[method], `${route} is missing from the document`).toBeDefined();
    }
  });
});
