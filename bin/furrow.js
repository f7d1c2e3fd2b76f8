#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm run build` (run by `npm start`) makes it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
if (!existsSync(compiled)) {
  console.error('furrow: dist/ is missing. Run `npm run build` first (or `npm run furrow -- <command>` in a checkout).');
  process.exit(1);
}
await import(compiled);
