import type { Argv, CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from '../global.js';
import { info, print, printFitted, printJson } from '../output.js';
import { UsageError, VaultError } from '../../errors.js';
import type { Context } from '../../context.js';
import type { KeyOptions } from '../../vault/key-store.js';
import { askHidden } from '../prompt.js';

interface RotateArgs extends GlobalArgs {
  passphrase?: boolean;
  'new-key-file'?: string;
}

function keyOptions(ctx: Context): KeyOptions {
  return {
    keyFile: ctx.paths.keyFile,
    env: ctx.env,
    create: false,
    db: ctx.db,
    askPassphrase: process.stdin.isTTY ? () => ask('Passphrase for the mtdvat key: ') : undefined,
  };
}

async function ask(question: string): Promise<string> {
  return askHidden(question);
}

/**
 * A new passphrase: MTDVAT_NEW_PASSPHRASE, else MTDVAT_PASSPHRASE when no passphrase protects the key
 * yet, else asked twice on the terminal.
 */
async function newPassphrase(env: NodeJS.ProcessEnv, currentlyProtected: boolean): Promise<string> {
  const fromEnv = env.MTDVAT_NEW_PASSPHRASE ?? (currentlyProtected ? undefined : env.MTDVAT_PASSPHRASE);
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new UsageError(
      currentlyProtected
        ? 'a new passphrase is needed: set MTDVAT_NEW_PASSPHRASE or run in a terminal'
        : 'a passphrase is needed: set MTDVAT_PASSPHRASE or run in a terminal',
    );
  }
  const first = await ask('New passphrase for the mtdvat key: ');
  const second = await ask('Repeat the passphrase: ');
  if (first !== second) throw new UsageError('the two passphrases differ; nothing was changed');
  return first;
}

async function isProtected(ctx: Context): Promise<boolean> {
  const { existsSync } = await import('node:fs');
  if (ctx.env.MTDVAT_MASTER_KEY || !existsSync(ctx.paths.keyFile)) return false;
  const { readKeyFile } = await import('../../vault/key-store.js');
  return readKeyFile(ctx.paths.keyFile).protection !== 'none';
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

const status: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'status',
  describe: 'Where the key comes from, its id and how many stored values it protects (never the key)',
  handler: (argv) =>
    withContext(argv, async (ctx) => {
      const { keyStatus } = await import('../../vault/rotate.js');
      const s = await keyStatus(ctx.db, ctx.paths.keyFile, ctx.env);
      if (argv.json) {
        printJson(s);
        return;
      }
      const where =
        s.source === 'env'
          ? 'MTDVAT_MASTER_KEY (environment)'
          : s.source === 'file'
            ? `key file ${s.location}`
            : s.source === 'passphrase'
              ? `key file ${s.location}, protected by a passphrase (Argon2id, ${s.protection!.opslimit} passes, ${mib(s.protection!.memlimit)})`
              : `none yet (${s.location} is created when the first secret is stored)`;
      const tables = Object.entries(s.byTable)
        .map(([t, ids]) => `${t} ${s.keyId ? (ids[s.keyId] ?? 0) : 0}`)
        .join(', ');
      printFitted(`Key source:  ${where}`, 13);
      printFitted(`Key id:      ${s.keyId ?? '-'}`, 13);
      printFitted(`Protects:    ${s.protects} value${s.protects === 1 ? '' : 's'} (${tables})`, 13);
      printFitted(`Other keys:  ${s.otherKey} value${s.otherKey === 1 ? '' : 's'}${s.otherKey ? ` under ${Object.keys(s.byKeyId).filter((k) => k !== s.keyId).join(', ')} — these cannot be decrypted with the current key` : ''}`, 13);
      if (s.pendingRotation) printFitted('Pending:     an interrupted rotation left master.key.new; the next command that opens the key resolves it', 13);
    }),
};

const rotate: CommandModule<GlobalArgs, RotateArgs> = {
  command: 'rotate',
  describe: 'New data key; every stored secret and token re-encrypted in one transaction',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('passphrase', {
        type: 'boolean',
        describe: 'Protect the new key file with a (new) passphrase (MTDVAT_NEW_PASSPHRASE / MTDVAT_PASSPHRASE or prompt)',
      })
      .option('new-key-file', {
        type: 'string',
        describe: 'With MTDVAT_MASTER_KEY: file (created 0600) that receives the new base64 key',
      }) as Argv<RotateArgs>,
  handler: (argv) =>
    withContext(argv, async (ctx) => {
      if (argv.passphrase && ctx.env.MTDVAT_MASTER_KEY) {
        throw new UsageError('--passphrase protects a key file; the key comes from MTDVAT_MASTER_KEY');
      }
      const { rotateKey } = await import('../../vault/rotate.js');
      const pass = argv.passphrase ? await newPassphrase(ctx.env, await isProtected(ctx)) : undefined;
      if (pass !== undefined) (await import('../../vault/rotate.js')).checkPassphrase(pass);
      const r = await rotateKey(ctx.db, keyOptions(ctx), { newPassphrase: pass, newKeyFile: argv['new-key-file'] });
      if (argv.json) {
        printJson({ ok: true, ...r });
        return;
      }
      print(`Rotated the key ${r.oldKeyId} → ${r.newKeyId}; re-encrypted ${r.reencrypted} value${r.reencrypted === 1 ? '' : 's'}.`);
      if (r.source === 'env') {
        print(`The new key is in ${r.location}. Set MTDVAT_MASTER_KEY to its contents now: the old key no longer opens the store.`);
      } else {
        print(`Key file: ${r.location}${r.source === 'passphrase' ? ' (passphrase-protected)' : ''}`);
      }
    }),
};

const protect: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'protect',
  describe: 'Wrap the key file with a passphrase (Argon2id); also changes an existing passphrase',
  handler: (argv) =>
    withContext(argv, async (ctx) => {
      if (ctx.env.MTDVAT_MASTER_KEY) {
        throw new UsageError('the key comes from MTDVAT_MASTER_KEY, not from a key file; protect it where it is kept');
      }
      const { existsSync } = await import('node:fs');
      if (!existsSync(ctx.paths.keyFile)) throw new VaultError(`no key file at ${ctx.paths.keyFile} yet; there is nothing to protect`);
      const { protectKey, checkPassphrase } = await import('../../vault/rotate.js');
      const pass = await newPassphrase(ctx.env, await isProtected(ctx));
      checkPassphrase(pass);
      const r = await protectKey(ctx.db, keyOptions(ctx), pass);
      if (argv.json) printJson({ ok: true, protected: true, ...r });
      else print(`The key file ${r.location} (key ${r.keyId}) is now protected by a passphrase. Without it the stored secrets cannot be read.`);
    }),
};

const unprotect: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'unprotect',
  describe: 'Store the key file without a passphrase again (asks for the current one)',
  handler: (argv) =>
    withContext(argv, async (ctx) => {
      const { unprotectKey } = await import('../../vault/rotate.js');
      const r = await unprotectKey(ctx.db, keyOptions(ctx));
      if (argv.json) printJson({ ok: true, protected: false, ...r });
      else if (r.wasProtected) print(`The key file ${r.location} (key ${r.keyId}) no longer needs a passphrase.`);
      else info(`The key file ${r.location} was not protected by a passphrase; nothing changed.`);
    }),
};

const verify: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'verify',
  describe: 'Decrypt every stored value with the current key (reports the first one that fails)',
  handler: (argv) =>
    withContext(argv, async (ctx) => {
      const { verifyAll } = await import('../../vault/rotate.js');
      const n = verifyAll(ctx.db, await ctx.vault());
      if (argv.json) printJson({ ok: true, verified: n });
      else print(`All ${n} stored value${n === 1 ? '' : 's'} decrypt with the current key.`);
    }),
};

export const keysCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'keys <command>',
  describe: 'Encryption key: status, rotate, protect/unprotect with a passphrase, verify',
  builder: (y) => (y as Argv<GlobalArgs>).command([status, rotate, protect, unprotect, verify] as CommandModule<GlobalArgs, GlobalArgs>[]).demandCommand(1),
  handler: () => undefined,
};

export default keysCommand;
