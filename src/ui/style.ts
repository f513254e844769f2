/**
 * The one stylesheet (served from /static/ui.css: the Content-Security-Policy allows no inline styles).
 * System colours through CSS variables; dark when the system asks for it (prefers-color-scheme);
 * one column below 720 px.
 */
export const STYLESHEET = `
:root{color-scheme:light dark;--bg:#f6f8fa;--fg:#1f2328;--muted:#57606a;--panel:#fff;--line:#d0d7de;--accent:#0a5cc2;--accent-fg:#fff;
--ok-bg:#dafbe1;--ok-fg:#116329;--bad-bg:#ffebe9;--bad-fg:#a40e26;--info-bg:#ddf4ff;--info-fg:#0a3069;--warn-bg:#fff8c5;--warn-fg:#7d4e00;--focus:#bf5af2}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--panel:#161b22;--line:#30363d;--accent:#4493f8;--accent-fg:#0d1117;
--ok-bg:#12361f;--ok-fg:#7ee2a0;--bad-bg:#3d1418;--bad-fg:#ffa198;--info-bg:#0c2d4f;--info-fg:#a5d6ff;--warn-bg:#3b2e04;--warn-fg:#f2cc60}}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--panel);padding:8px}
.skip:focus{left:8px}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:8px 20px;padding:10px 20px;background:var(--panel);border-bottom:1px solid var(--line)}
.brand{font-weight:700}
.company{color:var(--muted)}
nav ul{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;margin:0;padding:0}
nav a{text-decoration:none;padding:4px 2px}
nav a[aria-current=page]{font-weight:700;border-bottom:2px solid var(--accent)}
main{max-width:1240px;margin:0 auto;padding:20px}
h1{font-size:24px;margin:4px 0 16px}
h2{font-size:18px;margin:24px 0 8px}
h3{font-size:16px;margin:16px 0 6px}
section.panel,.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:12px 0}
.scroll{overflow-x:auto;background:var(--panel);border:1px solid var(--line);border-radius:8px}
table{width:100%;border-collapse:collapse}
th,td{padding:7px 10px;border-top:1px solid var(--line);text-align:left;vertical-align:top}
thead th{border-top:0;background:var(--bg);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.selected td{background:var(--info-bg)}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
.flash{padding:10px 14px;border-radius:6px;margin:10px 0;border:1px solid transparent}
.flash.ok{background:var(--ok-bg);color:var(--ok-fg)}
.flash.error{background:var(--bad-bg);color:var(--bad-fg)}
.flash.info{background:var(--info-bg);color:var(--info-fg)}
.bad{color:var(--bad-fg)}
.badge{display:inline-block;min-width:48px;text-align:center;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:700}
.badge.pass{background:var(--ok-bg);color:var(--ok-fg)}.badge.warn{background:var(--warn-bg);color:var(--warn-fg)}.badge.fail{background:var(--bad-bg);color:var(--bad-fg)}
.actions{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end;margin:10px 0}
.actions form{margin:0}
.stack{display:flex;flex-direction:column;gap:6px;margin:10px 0}
.narrow{max-width:420px}
fieldset{border:1px solid var(--line);border-radius:6px;margin:0 0 8px}
fieldset.inline label{display:block}
label{font-weight:600}
fieldset label{font-weight:normal}
input[type=text],input[type=password],input[type=number],input[type=date],select,textarea{font:inherit;padding:6px 8px;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--fg);max-width:100%}
button,.button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid var(--line);background:var(--panel);color:var(--fg);cursor:pointer;text-decoration:none;display:inline-block}
button.primary,.button.primary{background:var(--accent);color:var(--accent-fg);border-color:var(--accent)}
button:disabled{opacity:.5;cursor:not-allowed}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:0}
dl.fields dt{font-weight:600}
dl.fields dd{margin:0;overflow-wrap:anywhere}
dd.secret{color:var(--muted);font-style:italic}
ul.cards{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
ul.cards a{display:block;padding:16px;background:var(--panel);border:1px solid var(--line);border-radius:8px;font-weight:600}
.split{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px}
.pager{display:flex;gap:12px;align-items:center;margin:8px 0}
.declaration{white-space:pre-wrap}
@media (max-width:720px){.split{grid-template-columns:1fr}dl.fields{grid-template-columns:1fr}main{padding:12px}header.top{padding:8px 12px}}
`;
