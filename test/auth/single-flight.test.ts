/**
 * Refresh tokens are single-use: 20 processes that all find the access token expired must cause
 * exactly one refresh_token call at the emulator, and all must end with the same, working token.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { readTokenRow } from '../../src/store/tokens.js';
import { decryptAccess } from '../../src/auth/tokens.js';
import { APP, makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';

const DIST = fileURLToPath(new URL('../../dist/src/', import.meta.url));
let sb: RunningSandbox;
let t: TestHome;

beforeAll(async () => {
  sb = await startSandbox({ rateLimitPerSecond: 10_000, testRoutes: true });
  t = makeHome();
  await setupWebApp(t, { baseUrl: sb.url, ...DEFAULT_SANDBOX_CLIENT });
  const get = await runCli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
  const u = new URL((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
  const body = new URLSearchParams({ userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password });
  for (const k of ['client_id', 'scope', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method']) body.set(k, u.searchParams.get(k)!);
  const res = await fetch(`${sb.url}/__test/authorize`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  const { code } = (await res.json()) as { code: string };
  const obtain = await runCli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: code });
  expect(obtain.code, obtain.stderr).toBe(0);
});
afterAll(async () => {
  await sb?.close();
});

it('20 processes refreshing at once → one refresh_token call, all succeed with the same token', async () => {
  const script = join(t.home, 'get-token.mjs');
  writeFileSync(
    script,
    `import { createHash } from 'node:crypto';
import { openContext } from ${JSON.stringify(pathToFileURL(join(DIST, 'open-context.js')).href)};
import { getValidAccessToken } from ${JSON.stringify(pathToFileURL(join(DIST, 'auth', 'access-token.js')).href)};
const ctx = openContext({ home: process.argv[2] });
try {
  const t = await getValidAccessToken(ctx, ${JSON.stringify(APP)});
  // Only a hash leaves the process: tokens never go to stdout.
  process.stdout.write(JSON.stringify({ refreshed: t.refreshed, hash: createHash('sha256').update(t.accessToken).digest('hex') }));
} finally {
  ctx.close();
}
`,
  );
  const jump = 4 * 3_600_000 + 60_000;
  sb.clock.advance(jump);
  const before = sb.stats().tokenRequestsByGrant.refresh_token ?? 0;
  const runs = await Promise.all(
    Array.from(
      { length: 20 },
      () =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [script, t.home], { env: { ...t.env, MTDVAT_NOW_OFFSET_MS: String(jump) }, stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
          child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
          child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
        }),
    ),
  );
  for (const r of runs) expect(r.code, r.stderr).toBe(0);
  const results = runs.map((r) => JSON.parse(r.stdout) as { refreshed: boolean; hash: string });
  expect(sb.stats().tokenRequestsByGrant.refresh_token).toBe(before + 1);
  expect(results.filter((r) => r.refreshed)).toHaveLength(1);
  expect(new Set(results.map((r) => r.hash)).size).toBe(1);

  const ctx = t.open({ MTDVAT_NOW_OFFSET_MS: String(jump) });
  try {
    const token = decryptAccess(await ctx.vault(), readTokenRow(ctx.db, ctx.company, APP)!);
    const hello = await fetch(`${sb.url}/hello/user`, { headers: { Accept: 'application/vnd.hmrc.1.0+json', Authorization: `Bearer ${token}` } });
    expect(hello.status).toBe(200);
  } finally {
    ctx.close();
  }
});
