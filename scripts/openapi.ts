/**
 * @module scripts/openapi
 * `npm run openapi`: writes the API's OpenAPI 3.1 document to openapi.json (the same one the API
 * serves at /openapi.json). `--check` fails when the file is out of date.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openApiDocument } from '../functions/api/openapi.ts';

const FILE = path.resolve(import.meta.dirname, '..', 'openapi.json');
const text = `${JSON.stringify(openApiDocument(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  const current = await readFile(FILE, 'utf8').catch(() => '');
  if (current !== text) {
    console.error('openapi.json is out of date: run "npm run openapi"');
    process.exit(1);
  }
} else {
  await writeFile(FILE, text);
  console.log(`wrote ${path.relative(process.cwd(), FILE)}`);
}
