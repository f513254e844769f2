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
const SECRETS = 2000;
/** Kills in all, in slices small enough that each test fits in a minute on a loaded 2-core machine. */
const KILLS = 50;
const SLICES = 10;
const PER_SLICE = KILLS / SLICES;
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

/** Every secret decrypts, no pending key file lingers, and every secret is under the one current key. */
function expectIntact(label: string): string {
  const verify = keysJson('verify');
  expect(verify.code, `${label}: ${verify.stderr}`).toBe(0);
  expect(verify.body).toMatchObject({ ok: true, verified: SECRETS });
  expect(existsSync(join(home, 'master.key.new')), label).toBe(false);
  const status = keysJson('status');
  expect(status.code, status.stderr).toBe(0);
  expect(status.body).toMatchObject({ protects: SECRETS, otherKey: 0, pendingRotation: false });
  return status.body.keyId as string;
}

describe('SIGKILL during keys rotate', () => {
  let fullMs = 0;
  let point = 0;
  let killed = 0;
  const keyIds = new Set<string>();

  it('a whole rotation runs and is measured', async () => {
    const full = await rotate(60_000);
    expect(full.code).toBe(0);
    fullMs = full.ms;
    keyIds.add(expectIntact('after a whole rotation'));
  });

  // Kill points are spread over the measured length of a whole rotation (a permutation of KILLS
  // points, shared by the slices), from process start-up to just past the commit.
  it.each(Array.from({ length: SLICES }, (_, i) => i + 1))(`slice %i of ${SLICES}: ${PER_SLICE} kills, every secret still decrypts`, async (slice) => {
    let here = 0;
    for (let tries = 0; here < PER_SLICE && tries < PER_SLICE * 4; tries++) {
      const delay = Math.round(20 + (((point++ * 7919) % KILLS) / KILLS) * fullMs * 1.1);
      const run = await rotate(delay);
      if (run.signal === 'SIGKILL') here++;
      else expect(run.code, `slice ${slice}, kill at ${delay} ms`).toBe(0);
      keyIds.add(expectIntact(`slice ${slice}, kill at ${delay} ms`));
    }
    killed += here;
    expect(here).toBe(PER_SLICE);
  });

  it(`${KILLS} kills in all, and rotations committed between them`, async () => {
    // Under load a rotation can take far longer than the one measured, so every kill may have landed
    // before the commit; then let rotations run longer until one commits, so both sides are covered.
    for (let i = 1; keyIds.size < 2 && i <= 4; i++) {
      const run = await rotate(Math.min(20_000, Math.round(fullMs * 2 ** i)));
      if (run.signal !== 'SIGKILL') expect(run.code).toBe(0);
      keyIds.add(expectIntact(`longer run ${i}`));
    }
    expect(killed).toBeGreaterThanOrEqual(KILLS);
    // The key after the whole rotation is one; another means a rotation committed among the kills.
    expect(keyIds.size, 'no rotation committed among the kills').toBeGreaterThan(1);
  });
});
