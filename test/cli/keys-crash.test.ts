/**
 * `mtdvat keys rotate` killed with SIGKILL at many points (built binary): every secret must still
 * decrypt afterwards with whichever key the store was left under, and no `master.key.new` may linger
 * once the key has been opened again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openContext } from '../../src/open-context.js';
import { writeSecret } from '../../src/vault/secrets.js';

const BIN = resolve(__dirname, '../../bin/mtdvat.js');
const SECRETS = 5000;
const RUNS = 20;
let home: string;

function env() {
  return { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1' };
}

function rotate(killAfterMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'keys', 'rotate', '--home', home], { env: env(), stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, ms: performance.now() - started });
    });
  });
}

function keysJson(command: string) {
  const r = spawnSync(process.execPath, [BIN, 'keys', command, '--json', '--home', home], { env: env(), encoding: 'utf8' });
  return { code: r.status, body: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(resolve(__dirname, '../../dist/bundle/mtdvat.mjs'))) throw new Error('build first: npm run build');
  home = mkdtempSync(join(tmpdir(), 'mtdvat-keys-crash-'));
  const ctx = openContext({ home, env: {} });
  try {
    const vault = await ctx.vault({ create: true });
    ctx.db.transaction(() => {
      for (let i = 0; i < SECRETS; i++) writeSecret(ctx.db, vault, 'DAT', 'WebApplication', [`App ${i}`], 'CLIENTSECRET', `secret ${i}`);
    })();
  } finally {
    ctx.close();
  }
});

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('SIGKILL during keys rotate', () => {
  it(`every secret still decrypts after at least ${RUNS} interrupted rotations`, async () => {
    const full = await rotate(60_000);
    expect(full.code).toBe(0);
    const first = keysJson('status');
    const keyIds = new Set<string>([first.body.keyId as string]);
    let killed = 0;
    // Kill points are spread over the measured length of a whole rotation. Under load (CI runs
    // test files side by side) a rotation can take far longer than the one measured, so the loop
    // goes on, with longer and then shorter delays, until both sides of the commit were hit.
    for (let i = 0; i < RUNS * 2; i++) {
      const needKills = killed <= RUNS / 2;
      const needCommit = keyIds.size < 2;
      if (i >= RUNS && !needKills && !needCommit) break;
      const delay =
        i < RUNS
          ? Math.round(20 + (i / RUNS) * full.ms * 1.1)
          : needCommit
            ? Math.min(60_000, Math.round(full.ms * 2 ** (i - RUNS + 1)))
            : Math.round(20 + ((i - RUNS) / RUNS) * full.ms * 0.5);
      const run = await rotate(delay);
      if (run.signal === 'SIGKILL') killed++;
      else expect(run.code, `run ${i}`).toBe(0);
      const verify = keysJson('verify');
      expect(verify.code, `run ${i} (kill at ${delay} ms): ${verify.stderr}`).toBe(0);
      expect(verify.body).toMatchObject({ ok: true, verified: SECRETS });
      expect(existsSync(join(home, 'master.key.new')), `run ${i}`).toBe(false);
      const status = keysJson('status');
      expect(status.code, status.stderr).toBe(0);
      expect(status.body).toMatchObject({ protects: SECRETS, otherKey: 0, pendingRotation: false });
      keyIds.add(status.body.keyId as string);
    }
    expect(killed).toBeGreaterThan(RUNS / 2);
    expect(keyIds.size, 'no rotation committed').toBeGreaterThan(1);
  }, 300_000);
});
