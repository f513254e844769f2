/** The Context type every library layer receives; opening one is open-context.ts's job (the composition root). */
import type { HomeOptions, HomePaths } from './home.js';
import type { Db } from './store/db.js';
import type { Vault } from './vault/vault.js';

export interface ContextOptions extends HomeOptions {
  company?: string;
  env?: NodeJS.ProcessEnv;
  /** Asked when the key file is passphrase-protected and MTDVAT_PASSPHRASE is unset. */
  askPassphrase?: () => Promise<string>;
  /** Told when this run creates the data key file (first use of a home). */
  onKeyCreated?: (keyFile: string) => void;
}

/** Everything a command needs: where state lives, the open store, the company, and the vault on demand. */
export interface Context {
  paths: HomePaths;
  db: Db;
  company: string;
  env: NodeJS.ProcessEnv;
  /** Found while opening (e.g. a store others can read): the caller shows them, nothing is stopped. */
  warnings?: string[];
  /** Opens the key lazily: commands that never touch a secret never load libsodium. */
  vault(options?: { create?: boolean }): Promise<Vault>;
  close(): void;
}

export const DEFAULT_COMPANY = 'DAT';
