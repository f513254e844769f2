/**
 * Test setup for auth/VAT tests: a temp home, a master key, and the "Sandbox HMRC" web application
 * pointing at a running emulator, with the emulator client's credentials stored encrypted.
 * (Inserts the WebApplication record directly; the importer is not needed for this.)
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '../../src/context.js';
import { openContext } from '../../src/open-context.js';
import { encodeKey } from '../../src/store/records.js';
import { writeSecret } from '../../src/vault/secrets.js';
import { runCli as runBuiltCli, type CliResult } from './cli.js';

export const APP = 'Sandbox HMRC';
export { BIN } from './cli.js';
export const OOB = 'urn:ietf:wg:oauth:2.0:oob';

export interface TestHome {
  home: string;
  env: NodeJS.ProcessEnv;
  /** Opens a fresh context on the home (close it when done). */
  open(extraEnv?: NodeJS.ProcessEnv): Context;
}

export interface WebAppSetup {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  name?: string;
  redirectUrl?: string;
  company?: string;
}

export function makeHome(): TestHome {
  const home = mkdtempSync(join(tmpdir(), 'mtdvat-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    CI: 'true',
    NO_COLOR: '1',
    MTDVAT_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  return { home, env, open: (extraEnv = {}) => openContext({ home, env: { ...env, ...extraEnv } }) };
}

export async function setupWebApp(t: TestHome, app: WebAppSetup): Promise<void> {
  const ctx = t.open();
  try {
    const name = app.name ?? APP;
    const company = app.company ?? ctx.company;
    const data = {
      WEBAPPLICATIONNAME: name,
      DESCRIPTION: 'Local HMRC emulator',
      BASEURL: app.baseUrl,
      AUTHORIZATIONURLPATH: '/oauth/authorize',
      TOKENURLPATH: '/oauth/token',
      REDIRECTURL: app.redirectUrl ?? OOB,
      ACCEPT: 'application/vnd.hmrc.1.0+json',
      CONTENTTYPE: 'application/json',
    };
    ctx.db
      .prepare(
        `INSERT INTO records (company, entity, natural_key, data, last_job, updated_at) VALUES (?, 'WebApplication', ?, ?, NULL, ?)
         ON CONFLICT (company, entity, natural_key) DO UPDATE SET data = excluded.data`,
      )
      .run(company, encodeKey([name]), JSON.stringify(data), new Date().toISOString());
    const vault = await ctx.vault({ create: true });
    writeSecret(ctx.db, vault, company, 'WebApplication', [name], 'CLIENTID', app.clientId);
    writeSecret(ctx.db, vault, company, 'WebApplication', [name], 'CLIENTSECRET', app.clientSecret);
  } finally {
    ctx.close();
  }
}

export type RunResult = CliResult;

/** The one runCli (helpers/cli.ts) on a test home: --home, the home's environment, cwd in the home. */
export function runCli(t: TestHome, args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv; onStderr?: (chunk: string) => void } = {}): Promise<RunResult> & { child: ChildProcess } {
  return runBuiltCli(['--home', t.home, ...args], { cwd: t.home, env: { ...t.env, ...(opts.env ?? {}) }, input: opts.stdin, onStderr: opts.onStderr });
}

/** Every byte of the store files (db, -wal, -shm) as latin1 text, for plaintext searches. */
export function storeBytes(t: TestHome): string {
  return ['mtdvat.db', 'mtdvat.db-wal', 'mtdvat.db-shm']
    .map((f) => join(t.home, f))
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p).toString('latin1'))
    .join('\n');
}
