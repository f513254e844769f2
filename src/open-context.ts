/**
 * The composition root: opens the store, the home folder and (lazily) the vault into a Context.
 * Only the top floors (cli/, ui/) call it; every library layer receives the Context it builds.
 */
import { DEFAULT_COMPANY, type Context, type ContextOptions } from './context.js';
import { ensureHome, resolveHome } from './home.js';
import { openDb, getMeta } from './store/db.js';
import { companiesWithSetup } from './store/records.js';
import { COMPANY_ID_RULE, isCompanyId } from './lib/company.js';
import { UsageError } from './errors.js';
import { existsSync } from 'node:fs';
import type { Vault } from './vault/vault.js';

export function openContext(options: ContextOptions = {}): Context {
  const env = options.env ?? process.env;
  const paths = resolveHome(options, env);
  const given = options.company ?? env.MTDVAT_COMPANY;
  const badCompany = () =>
    new UsageError(`${options.company !== undefined ? '--company' : 'MTDVAT_COMPANY'} must be a D365 legal entity ID (${COMPANY_ID_RULE}), got "${given}"`);
  // Refused before a store is created for it: without a store, no old ID can make it valid.
  if (given !== undefined && !isCompanyId(given) && !existsSync(paths.dbPath)) throw badCompany();
  ensureHome(paths);
  const warnings: string[] = [];
  const lockTimeout = Number(env.MTDVAT_LOCK_TIMEOUT_MS);
  const db = openDb(paths.dbPath, {
    onWarning: (w) => warnings.push(w),
    lockTimeoutMs: Number.isInteger(lockTimeout) && lockTimeout >= 0 ? lockTimeout : undefined,
  });
  if (given !== undefined && !isCompanyId(given)) {
    // An ID already in the store keeps working; anything else would start a company D365 cannot have.
    const known = companiesWithSetup(db);
    if (!known.includes(given) && !known.includes(given.toUpperCase())) {
      db.close();
      throw badCompany();
    }
  }
  const company = (given ?? getMeta(db, 'default_company') ?? DEFAULT_COMPANY).toUpperCase();
  let vault: Promise<Vault> | undefined;
  return {
    paths,
    db,
    company,
    env,
    warnings,
    vault(opts = {}) {
      if (!vault) {
        // Lazy: commands that never touch a secret never load libsodium.
        vault = import('./vault/key-store.js').then(({ openVault }) =>
          openVault({ keyFile: paths.keyFile, env, create: opts.create ?? false, askPassphrase: options.askPassphrase, db, onKeyCreated: options.onKeyCreated }),
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
