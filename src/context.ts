import { ensureHome, resolveHome, type HomeOptions, type HomePaths } from './home.js';
import { openDb, getMeta, type Db } from './store/db.js';
import type { Vault } from './vault/vault.js';

export interface ContextOptions extends HomeOptions {
  company?: string;
  env?: NodeJS.ProcessEnv;
  /** Asked when the key file is passphrase-protected and MTDVAT_PASSPHRASE is unset. */
  askPassphrase?: () => Promise<string>;
}

/** Everything a command needs: where state lives, the open store, the company, and the vault on demand. */
export interface Context {
  paths: HomePaths;
  db: Db;
  company: string;
  env: NodeJS.ProcessEnv;
  /** Opens the key lazily: commands that never touch a secret never load libsodium. */
  vault(options?: { create?: boolean }): Promise<Vault>;
  close(): void;
}

export const DEFAULT_COMPANY = 'DAT';

export function openContext(options: ContextOptions = {}): Context {
  const env = options.env ?? process.env;
  const paths = resolveHome(options, env);
  ensureHome(paths);
  const db = openDb(paths.dbPath);
  const company = (options.company ?? env.MTDVAT_COMPANY ?? getMeta(db, 'default_company') ?? DEFAULT_COMPANY).toUpperCase();
  let vault: Promise<Vault> | undefined;
  return {
    paths,
    db,
    company,
    env,
    vault(opts = {}) {
      if (!vault) {
        // Lazy: commands that never touch a secret never load libsodium.
        vault = import('./vault/key-store.js').then(({ openVault }) =>
          openVault({ keyFile: paths.keyFile, env, create: opts.create ?? false, askPassphrase: options.askPassphrase, db }),
        );
        // A failed open (no key yet, wrong passphrase) must not stick: a later call may create the key.
        vault.catch(() => (vault = undefined));
      }
      return vault;
    },
    close() {
      if (db.open) db.close();
    },
  };
}
