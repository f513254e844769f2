/** Setup verification: the verify report (as `mtdvat verify --format html`), "Run again". */
import { AREAS, areaOf, summarize, verifySetup, type VerifyResult } from '../../verify/verify.js';
import { renderVerifyHtml } from '../../verify/verify-html.js';
import type { PageModule } from '../app.js';

export const verifyPage: PageModule = {
  nav: { href: '/verify', label: 'Setup verification' },
  register(app, kit) {
    let last: { result: VerifyResult; at: Date } | undefined;
    const run = async () => (last = { result: await verifySetup(kit.ctx), at: new Date() });

    app.get('/verify', async (c) => {
      const { result, at } = last ?? (await run());
      const counts = summarize(result.checks);
      const known = new Set(AREAS.map((a) => a.id));
      const areas = [...AREAS, ...[...new Set(result.checks.map(areaOf))].filter((a) => !known.has(a)).map((id) => ({ id, title: id }))];
      const attention = [...result.checks.filter((k) => k.status === 'fail'), ...result.checks.filter((k) => k.status === 'warn')];
      const sections = [
        ...(attention.length ? [{ id: 'attention', title: 'Needs attention', checks: attention }] : []),
        ...areas.map((a) => ({ id: a.id, title: a.title, checks: result.checks.filter((k) => areaOf(k) === a.id) })).filter((s) => s.checks.length),
      ];
      const verdict = result.ok
        ? `Ready: nothing blocks the MTD VAT processing${counts.warn ? ` (${counts.warn} warning${counts.warn === 1 ? '' : 's'} to review)` : ''}.`
        : `Not ready: ${counts.fail} check${counts.fail === 1 ? '' : 's'} failed. Each one says what to do.`;
      return kit.page(c, 'Setup verification', '/verify', 'verify', {
        ok: result.ok,
        verdict,
        counts,
        sections,
        at: at.toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
      });
    });

    app.post('/verify', async (c) => {
      await run();
      return kit.seeOther(c, '/verify');
    });

    // The same self-contained report file `mtdvat verify --format html` writes, as a download.
    app.get('/verify/report.html', async (c) => {
      const { result, at } = last ?? (await run());
      return c.body(renderVerifyHtml(result, { generatedAt: at }), 200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Disposition': 'attachment; filename="mtdvat-verify.html"',
      });
    });
  },
};
