/**
 * A wrong MTDVAT_MASTER_KEY on a store made with another key is refused, naming both key ids, before
 * anything is written (issue 10): before, new secrets were encrypted under the wrong key beside the old ones.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newMasterKey, runCli, tempDir, ROOT } from '../helpers/cli.js';
import { snapshotSetup } from '../helpers/store-snapshot.js';

describe('a store made with another key', () => {
  it('refuses MTDVAT_MASTER_KEY of another store, naming both key ids, and writes nothing', async () => {
    const home = join(tempDir(), 'home');
    const right = newMasterKey();
    const wrong = newMasterKey();
    const run = (key: string, args: string[], input?: string) => runCli([...args, '--home', home], { env: { MTDVAT_MASTER_KEY: key }, input });
    expect((await run(right, ['import-package', join(ROOT, 'packages-data', 'mtd-vat-local.zip')])).code).toBe(0);
    const rightId = JSON.parse((await run(right, ['keys', 'status', '--json'])).stdout).keyId as string;
    expect(rightId).toMatch(/^[0-9a-f]{16}$/);
    const before = snapshotSetup(join(home, 'mtdvat.db'));

    const set = await run(wrong, ['web-apps', 'set-credentials', 'Dynamics 365 Finance', '--client-id-stdin', '--secret-stdin'], 'id-under-wrong-key\nsecret-under-wrong-key');
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(new RegExp(`MTDVAT_MASTER_KEY is key [0-9a-f]{16}, but this store's secrets and tokens were encrypted with key ${rightId}; nothing was read or written`));
    const wrongId = /MTDVAT_MASTER_KEY is key ([0-9a-f]{16})/.exec(set.stderr)![1];
    expect(wrongId).not.toBe(rightId);

    const reimport = await run(wrong, ['import-package', join(ROOT, 'packages-data', 'mtd-vat-local.zip')]);
    expect(reimport.code).toBe(1);
    expect(reimport.stdout + reimport.stderr).toContain(`encrypted with key ${rightId}`);
    expect(snapshotSetup(join(home, 'mtdvat.db'))).toEqual(before);

    // The right key still opens everything.
    expect((await run(right, ['keys', 'verify'])).code).toBe(0);
  });
});
