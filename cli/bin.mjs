#!/usr/bin/env node
// The `ferry` command: loads the TypeScript CLI through tsx, then runs it with the real process.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./main.ts');
process.exitCode = await run(process.argv.slice(2));
