/**
 * What a re-import changed, field by field, and which stored credentials it kept because the package
 * left them empty (Microsoft's FAQ: a re-imported older package silently reverts action types; the
 * import now says so). Secret values never appear in the report.
 */
import { describe, expect, it } from 'vitest';
import { importPackage } from '../../src/importer/import-package.js';
import { buildPackage, WEB_APPS, webAppsEntity } from '../helpers/package-builder.js';
import { makeHome } from '../helpers/setup-web-app.js';

describe('import result: changes and kept credentials', () => {
  it('lists changed fields of existing records, and credentials kept from an empty package field', async () => {
    const t = makeHome();
    const ctx = t.open();
    try {
      const first = await buildPackage(t.home, 'first.zip', { entities: [webAppsEntity()] });
      const r1 = await importPackage(ctx, first);
      expect(r1.status).toBe('Succeeded');
      expect(r1.changes).toEqual([]);
      expect(r1.changeCount).toBe(0);
      expect(r1.keptSecrets).toEqual([]);

      const changed = WEB_APPS.map((a) =>
        a.WEBAPPLICATIONNAME === 'Sandbox HMRC' ? { ...a, DESCRIPTION: 'Changed', CLIENTID: '', CLIENTSECRET: '' } : a,
      );
      const second = await buildPackage(t.home, 'second.zip', { entities: [webAppsEntity({ records: changed })] });
      const dry = await importPackage(ctx, second, { dryRun: true });
      expect(dry.changes).toEqual([{ entity: 'Web applications', key: 'Sandbox HMRC', field: 'DESCRIPTION', old: 'The HMRC sandbox', new: 'Changed' }]);
      const r2 = await importPackage(ctx, second);
      expect(r2.status).toBe('Succeeded');
      expect(r2.changes).toEqual(dry.changes);
      expect(r2.changeCount).toBe(1);
      expect(r2.keptSecrets.map((k) => [k.key, k.field]).sort()).toEqual([
        ['Sandbox HMRC', 'Client ID'],
        ['Sandbox HMRC', 'Client secret'],
      ]);
      expect(JSON.stringify(r2)).not.toContain(WEB_APPS[0].CLIENTSECRET);
      // The production app never had credentials: nothing to keep there.
      expect(r2.keptSecrets.some((k) => k.key === 'Dynamics 365 Finance')).toBe(false);
    } finally {
      ctx.close();
    }
  });
});
