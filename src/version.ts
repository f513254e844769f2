import { existsSync, readFileSync } from 'node:fs';

let cachedVersion: string | undefined;
/** mtdvat's version from package.json (found by walking up from this file: src/ in tests, dist/src/ when built). */
export function mtdvatVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = new URL('.', import.meta.url);
  for (let i = 0; i < 5; i++) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'mtdvat' && pkg.version) return (cachedVersion = pkg.version);
      } catch {
        // keep walking
      }
    }
    dir = new URL('..', dir);
  }
  return (cachedVersion = '0.0.0');
}
