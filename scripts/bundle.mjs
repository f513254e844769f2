// Bundles the compiled CLI with rolldown's API rather than its command line, which lists every chunk
// and its size: `npm ci` runs this through `prepare`, and an install should stay quiet. Warnings and
// errors still show (rolldown's onLog default prints them).
import { rmSync } from 'node:fs';
import { build } from 'rolldown';
import config from '../rolldown.config.mjs';

rmSync(new URL('../dist/bundle', import.meta.url), { recursive: true, force: true });
await build({ ...config, logLevel: 'warn' });
