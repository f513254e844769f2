/**
 * HMRC's 3 requests per second per application, shared through the store: several connections (and
 * several processes) together never take more than 3 slots in any window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/store/db.js';
import { rateKey, takeRateSlot } from '../../src/hmrc/rate-limit.js';
import { ROOT } from '../helpers/cli.js';

const WINDOW = 1250; // one second plus the default margin

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mtdvat-rate-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The most slots any window of WINDOW ms holds. */
function busiestWindow(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i++) {
    let n = 0;
    while (i + n < sorted.length && sorted[i + n] - sorted[i] < WINDOW) n++;
    most = Math.max(most, n);
  }
  return most;
}

describe('takeRateSlot', () => {
  it('makes the fourth caller within a window wait for the oldest slot to age out, whichever connection it uses', async () => {
    const file = join(dir, 'virtual.db');
    const dbs: Db[] = [openDb(file), openDb(file), openDb(file)];
    let clock = 1_000_000;
    const waits: number[] = [];
    const options = {
      now: () => clock,
      sleep: async (ms: number) => {
        waits.push(ms);
        clock += ms;
      },
    };
    const granted: number[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        await takeRateSlot(dbs[i % 3], 'api.service.hmrc.gov.uk|Dynamics 365 Finance', options);
        granted.push(clock);
        clock += 10; // callers come back as fast as they can
      }
      // Another application has its own slots.
      await takeRateSlot(dbs[0], 'test-api.service.hmrc.gov.uk|Sandbox HMRC', options);
    } finally {
      for (const db of dbs) db.close();
    }
    // Three at once, then the fourth waits until the first is a window old, and so on.
    expect(granted.map((t) => t - 1_000_000)).toEqual([0, 10, 20, 1250, 1260, 1270, 2500, 2510, 2520, 3750, 3760, 3770]);
    expect(waits).toEqual([1220, 1220, 1220]); // the other application did not wait
    expect(busiestWindow(granted)).toBe(3);
  });

  it('keys by HMRC host and application name, not by company', () => {
    expect(rateKey({ baseUrl: 'https://api.service.hmrc.gov.uk/', name: 'Dynamics 365 Finance' })).toBe('api.service.hmrc.gov.uk|Dynamics 365 Finance');
    expect(rateKey({ baseUrl: 'http://127.0.0.1:9797', name: 'Sandbox HMRC' })).toBe('127.0.0.1:9797|Sandbox HMRC');
  });

  it('holds across processes: 4 processes taking 3 slots each never share a window of more than 3', async () => {
    const built = join(ROOT, 'dist', 'src', 'hmrc', 'rate-limit.js');
    if (!existsSync(built)) throw new Error('build first: npm run build');
    const file = join(dir, 'processes.db');
    openDb(file).close(); // create the schema once
    const script = `
      const { openDb } = await import(${JSON.stringify(join(ROOT, 'dist', 'src', 'store', 'db.js'))});
      const { takeRateSlot } = await import(${JSON.stringify(built)});
      const db = openDb(process.argv[1]);
      for (let i = 0; i < 3; i++) {
        await takeRateSlot(db, 'host|app', { now: () => { const t = Date.now(); globalThis.last = t; return t; } });
        process.stdout.write(globalThis.last + '\\n');
      }
      db.close();`;
    const runs = Array.from({ length: 4 }, () =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n').map(Number)) : reject(new Error(err))));
      }),
    );
    const granted = (await Promise.all(runs)).flat();
    expect(granted).toHaveLength(12);
    expect(busiestWindow(granted)).toBe(3);
  }, 30_000);
});
