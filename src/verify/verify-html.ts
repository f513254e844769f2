/**
 * The verification report as one self-contained HTML page (inline CSS, no scripts, no external
 * assets) that a consultant can hand to a client. Everything from the store is HTML-escaped.
 */
import { escapeControls } from '../lib/terminal-text.js';
import { AREAS, areaOf, summarize, type Check, type VerifyResult } from './verify.js';

/** HTML-escaped, with control and bidi characters shown as escapes (they would reorder the page's text). */
export function escapeHtml(value: string): string {
  return escapeControls(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1000px;margin:0 auto;padding:32px 24px}
h1{font-size:26px;margin:0 0 4px}
.meta{color:#57606a;margin:0 0 20px}
.verdict{padding:14px 18px;border-radius:8px;font-weight:600;margin-bottom:16px}
.verdict.ok{background:#dafbe1;color:#116329;border:1px solid #4ac26b}
.verdict.notok{background:#ffebe9;color:#a40e26;border:1px solid #ff8182}
.summary{display:flex;gap:12px;margin-bottom:28px}
.count{flex:1;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px}
.count b{display:block;font-size:28px}
.count.pass b{color:#1a7f37}.count.warn b{color:#9a6700}.count.fail b{color:#cf222e}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin-bottom:20px;overflow:hidden}
section h2{font-size:17px;margin:0;padding:12px 16px;background:#f6f8fa;border-bottom:1px solid #d0d7de}
section h2 small{font-weight:normal;color:#57606a;margin-left:8px}
table{width:100%;border-collapse:collapse}
td{padding:10px 16px;border-top:1px solid #eaeef2;vertical-align:top}
tr:first-child td{border-top:0}
td.st{width:80px}
.badge{display:inline-block;min-width:52px;text-align:center;border-radius:12px;padding:2px 8px;font-size:12px;font-weight:700;letter-spacing:.04em}
.badge.pass{background:#dafbe1;color:#116329}.badge.warn{background:#fff8c5;color:#7d4e00}.badge.fail{background:#ffebe9;color:#a40e26}
.title{font-weight:600}
.id{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;color:#57606a}
.detail{margin-top:2px}
.fix{margin-top:6px;padding:6px 10px;background:#f6f8fa;border-left:3px solid #0969da;border-radius:4px}
footer{color:#57606a;font-size:13px;margin-top:24px}
@media print{body{background:#fff}section{break-inside:avoid}}
`;

export function renderVerifyHtml(result: VerifyResult, options: { generatedAt?: Date } = {}): string {
  const counts = summarize(result.checks);
  const at = (options.generatedAt ?? new Date()).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const e = escapeHtml;
  const sections: string[] = [];
  const known = new Set(AREAS.map((a) => a.id));
  const areas = [...AREAS, ...[...new Set(result.checks.map(areaOf))].filter((a) => !known.has(a)).map((id) => ({ id, title: id }))];
  const row = (k: Check) => `<tr class="${k.status}"><td class="st"><span class="badge ${k.status}">${k.status.toUpperCase()}</span></td><td>
<div class="title">${e(k.title)}</div><div class="id">${e(k.id)}</div><div class="detail">${e(k.detail)}</div>${k.fix ? `<div class="fix"><b>What to do:</b> ${e(k.fix)}</div>` : ''}</td></tr>`;
  // Failures first, then warnings: what the client has to act on, before the full list.
  const attention = [...result.checks.filter((k) => k.status === 'fail'), ...result.checks.filter((k) => k.status === 'warn')];
  if (attention.length) {
    sections.push(`<section id="attention"><h2>Needs attention<small>${counts.fail} fail · ${counts.warn} warn</small></h2><table>\n${attention.map(row).join('\n')}\n</table></section>`);
  }
  for (const area of areas) {
    const checks = result.checks.filter((c) => areaOf(c) === area.id);
    if (!checks.length) continue;
    const c = summarize(checks);
    const rows = checks.map(row).join('\n');
    sections.push(`<section id="area-${e(area.id)}"><h2>${e(area.title)}<small>${c.pass} pass · ${c.warn} warn · ${c.fail} fail</small></h2><table>\n${rows}\n</table></section>`);
  }
  const verdict = result.ok
    ? `Ready: nothing blocks the MTD VAT processing${counts.warn ? ` (${counts.warn} warning${counts.warn === 1 ? '' : 's'} to review)` : ''}.`
    : `Not ready: ${counts.fail} check${counts.fail === 1 ? '' : 's'} failed. Each one says what to do.`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MTD VAT setup verification — company ${e(result.company)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>MTD VAT setup verification</h1>
<p class="meta">Company <b>${e(result.company)}</b> · generated ${e(at)} by mtdvat verify</p>
<div class="verdict ${result.ok ? 'ok' : 'notok'}" id="verdict">${e(verdict)}</div>
<div class="summary" id="summary">
<div class="count pass"><b>${counts.pass}</b>passed</div>
<div class="count warn"><b>${counts.warn}</b>warnings</div>
<div class="count fail"><b>${counts.fail}</b>failed</div>
</div>
${sections.join('\n')}
<footer>Secrets (client IDs, client secrets, tokens) are checked but never shown in this report.</footer>
</main>
</body>
</html>
`;
}
