import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MINISTACK_VERSION } from '../../../../scripts/local/emulator.ts';

describe('emulator version pin', () => {
  it('is the same for npm start/test and docker compose', () => {
    const compose = readFileSync(new URL('../../../../docker-compose.yml', import.meta.url), 'utf8');
    expect(compose).toContain(`MINISTACK_VERSION: ${MINISTACK_VERSION}\n`);
  });
});
