/**
 * kill -9 during `mtdvat em send-report`, 20 times at fixed points, through the BUILT binary against
 * the local HMRC emulator. The emulator's delay controls hold a request so the kill lands while it is
 * in flight:
 *   1. during the POST of the return — held before HMRC stores it (even rounds) or after it stored it
 *      and before the answer (odd rounds); HMRC finishes the request either way, as it would once the
 *      body has arrived;
 *   2. during the look-up of the resumed run (GET of the period's return).
 * After both kills a plain `em send-report` finishes. Every round: exactly one POST ever reached HMRC
 * (never a second filing), the message ends "Completed VAT return" with its items Submitted (never a
 * message that cannot go on), and both killed runs' action-log rows show Interrupted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/setup-web-app.js';
import { startEmEmulator, TEST_PROCESSING, VRN, type EmEmulator } from '../helpers/em-emulator.js';

let env: EmEmulator;
const ROUNDS = 10;
const HOLD_MS = 2500;

interface Run {
  status: string;
  steps: { action: string; responseType: string; log: string }[];
}
interface Detail {
  status: string;
  items: { status: string }[];
  log: { action: string; responseType: string; text: string }[];
}

async function em(args: string[]) {
  const r = await runCli(env.t, ['em', ...args]);
  return r;
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Starts `em send-report`, waits until the emulator holds its request, then kill -9. */
async function killWhileHeld(message: number, held: () => boolean, point: string): Promise<void> {
  const run = runCli(env.t, ['em', 'send-report', String(message), '--yes', '--json']);
  await until(`${point} to be in flight (message ${message})`, held);
  run.child.kill('SIGKILL');
  const r = await run;
  expect(r.code, `${point}: the run should have been killed`).not.toBe(0);
}

beforeAll(async () => {
  env = await startEmEmulator();
  // Five more periods: move HMRC's clock on fifteen months and retrieve the obligations again.
  env.sb.clock.advance(15 * 31 * 86_400_000);
  const req = JSON.parse((await em(['new', '--processing', TEST_PROCESSING, '--action', 'Create VAT obligation request', '--json'])).stdout) as { message: number };
  const run = await em(['run', String(req.message), '--yes', '--json']);
  expect(run.code, run.stderr).toBe(0);
  const open = JSON.parse((await em(['list', '--processing', TEST_PROCESSING, '--status', 'New VAT return', '--json'])).stdout) as { message: number }[];
  expect(open.length).toBeGreaterThanOrEqual(ROUNDS);
  const file = join(env.t.home, 'RETURN.json');
  writeFileSync(file, '{"vatDueSales":100.00,"vatDueAcquisitions":0,"totalVatDue":100.00,"vatReclaimedCurrPeriod":40.50,"netVatDue":59.50,"totalValueSalesExVAT":500,"totalValuePurchasesExVAT":200,"totalValueGoodsSuppliedExVAT":0,"totalAcquisitionsExVAT":0,"finalised":true}');
  env.open = open.slice(0, ROUNDS).map((m) => ({ message: m.message, fromDate: '', toDate: '' }));
  for (const { message } of env.open) {
    for (const args of [['collect-data', String(message), '--file', file], ['update-status', String(message), '--action', 'Ready to generate VAT return'], ['generate-report', String(message)]]) {
      const r = await em(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  }
}, 600_000);

afterAll(async () => {
  await env?.close();
});

describe('kill -9 during em send-report (20 kills at fixed points)', () => {
  it('never files twice, never leaves a message that cannot go on, and shows the killed runs as Interrupted', async () => {
    const db = new Database(join(env.t.home, 'mtdvat.db'), { readonly: true, fileMustExist: true });
    let kills = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const { message } = env.open[round];
        const before = env.sb.stats();

        // Kill 1: during the POST.
        const stage = round % 2 === 0 ? 'before-store' : 'after-store';
        env.sb.injectFault({ kind: 'submit-delay', delayMs: HOLD_MS, stage });
        await killWhileHeld(message, () => env.sb.stats().submitsHeld === 1, `the POST (${stage})`);
        kills++;
        // HMRC finishes the request the dead client sent.
        await until('the held POST to finish', () => env.sb.stats().submitsHeld === 0);
        expect(env.sb.stats().returnsFiled).toBe(before.returnsFiled + 1);
        // Reading the log already shows the dead run as Interrupted (no live process holds the message).
        const log1 = JSON.parse((await em(['log', String(message), '--json'])).stdout) as { action: string; responseType: string }[];
        expect(log1.at(-1)).toMatchObject({ action: 'Test submits VAT return', responseType: 'Interrupted' });

        // Kill 2: during the resumed run's look-up of the return.
        env.sb.injectFault({ kind: 'delay', method: 'GET', pathPrefix: `/organisations/vat/${VRN}/returns/`, delayMs: HOLD_MS });
        await killWhileHeld(message, () => env.sb.stats().requestsHeld === 1, 'the look-up');
        kills++;
        await until('the held look-up to finish', () => env.sb.stats().requestsHeld === 0);

        // The message goes on: a plain run completes it without sending again.
        const last = await em(['send-report', String(message), '--yes', '--json']);
        expect(last.code, last.stderr).toBe(0);
        const r = JSON.parse(last.stdout) as Run;
        expect(r.status).toBe('Completed VAT return');
        expect(r.steps[0].log).toContain('nothing was sent again');

        const after = env.sb.stats();
        expect(after.submitAttempts - before.submitAttempts, `round ${round}: POSTs that reached HMRC`).toBe(1);
        expect(after.returnsFiled - before.returnsFiled).toBe(1);

        const d = JSON.parse((await em(['show', String(message), '--json'])).stdout) as Detail;
        expect(d.status).toBe('Completed VAT return');
        expect(d.items.map((i) => i.status)).toEqual(['Submitted']);
        const sends = d.log.filter((l) => l.action === 'Test submits VAT return');
        expect(sends.map((l) => l.responseType)).toEqual(['Interrupted', 'Interrupted', 'Successfully executed']);
        expect(sends[0].text).toMatch(/ended before it finished/);
        expect(d.log.filter((l) => l.responseType === 'Running')).toEqual([]);
      }
      // Nothing is left running or claimed anywhere.
      const running = db.prepare("SELECT COUNT(*) AS n FROM em_log WHERE response_type = 'Running'").get() as { n: number };
      const interrupted = db.prepare("SELECT COUNT(*) AS n FROM em_log WHERE response_type = 'Interrupted'").get() as { n: number };
      const claimed = db.prepare('SELECT COUNT(*) AS n FROM em_messages WHERE run_pid IS NOT NULL').get() as { n: number };
      expect({ running: running.n, interrupted: interrupted.n, claimed: claimed.n }).toEqual({ running: 0, interrupted: 20, claimed: 0 });
      const receipts = db.prepare("SELECT status, COUNT(*) AS n FROM vat_receipts GROUP BY status").all() as { status: string; n: number }[];
      expect(receipts).toEqual([{ status: 'filed', n: ROUNDS }]);
    } finally {
      db.close();
    }
    expect(kills).toBe(20);
    process.stdout.write(`em kill test: ${kills} kills over ${ROUNDS} messages, ${ROUNDS} returns filed, no second POST\n`);
  }, 900_000);
});
