import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { StoreError } from './errors.js';

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

/**
 * Creates the home folder (0700) and the folders above it that are missing, one level at a time.
 * Not mkdirSync's `recursive`: on a path under /proc it loops forever. A folder that already exists
 * belongs to the user and keeps its permissions (mtdvat's files inside are 0600 either way).
 * Returns the folders it created.
 */
export function ensureHome(paths: HomePaths): string[] {
  const missing: string[] = [];
  for (let dir = paths.home; ; dir = dirname(dir)) {
    let isDir: boolean;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new StoreError(`cannot use the mtdvat home folder ${paths.home}: ${dir} cannot be read (${code})`);
      missing.unshift(dir);
      if (dirname(dir) === dir) break;
      continue;
    }
    if (!isDir) throw new StoreError(`cannot use the mtdvat home folder ${paths.home}: ${dir} is not a folder`);
    break;
  }
  const created: string[] = [];
  for (const dir of missing) {
    try {
      mkdirSync(dir, { mode: 0o700 });
      created.push(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(dir).isDirectory()) continue; // another process made it meanwhile
      throw new StoreError(`cannot create the mtdvat home folder ${paths.home}: creating ${dir} failed (${code ?? (error as Error).message})`);
    }
  }
  return created;
}
