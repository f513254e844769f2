// Bundles the compiled CLI with rolldown's API rather than its command line, which lists every chunk
// and its size: `npm ci` runs this through `prepare`, and an install should stay quiet. Warnings and
// errors still show. MTDVAT_BUNDLE_DIR writes the bundle elsewhere (the test that keeps it quiet).
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import config from '../rolldown.config.mjs';

const dir = process.env.MTDVAT_BUNDLE_DIR ?? fileURLToPath(new URL('../dist/bundle', import.meta.url));
rmSync(dir, { recursive: true, force: true });
await build({ ...config, output: { ...config.output, dir }, logLevel: 'warn' });
