import { mkdirSync, chmodSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface HomeOptions {
  home?: string;
  db?: string;
}

export interface HomePaths {
  home: string;
  dbPath: string;
  keyFile: string;
}

/** `--home`, else `MTDVAT_HOME`, else `$XDG_DATA_HOME/mtdvat`, else `~/.local/share/mtdvat`. */
export function resolveHome(options: HomeOptions = {}, env: NodeJS.ProcessEnv = process.env): HomePaths {
  const home = resolve(
    options.home ?? env.MTDVAT_HOME ?? join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'mtdvat'),
  );
  return {
    home,
    dbPath: resolve(options.db ?? join(home, 'mtdvat.db')),
    keyFile: join(home, 'master.key'),
  };
}

/** Creates the home folder (0700) if needed. */
export function ensureHome(paths: HomePaths): void {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  try {
    if ((statSync(paths.home).mode & 0o077) !== 0) chmodSync(paths.home, 0o700);
  } catch {
    // A home we cannot chmod (not ours) is still usable; the files inside are 0600.
  }
}
