/**
 * Server-rendered pages with eta (auto-escaping on: `<%= %>` escapes every value from a package, a file
 * or HMRC; `<%~ %>` is used only for HTML we built ourselves). Templates live here as strings, not
 * files, so the bundled CLI carries them. Titles, columns and buttons use Dynamics 365's words.
 */
import { Eta } from 'eta/core';
import { STYLESHEET } from './style.js';

export { STYLESHEET };

export interface NavItem {
  href: string;
  label: string;
}

export interface Flash {
  kind: 'ok' | 'error' | 'info';
  text: string;
}

export interface PageFrame {
  title: string;
  nav: NavItem[];
  current: string;
  company: string;
  flashes: Flash[];
  csrf: string;
}

const LAYOUT = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<% if (it.refresh) { %><meta http-equiv="refresh" content="<%= it.refresh %><% if (it.refreshUrl) { %>;url=<%= it.refreshUrl %><% } %>"><% } %>
<title><%= it.title %> – mtdvat</title>
<link rel="stylesheet" href="/static/ui.css">
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="top">
<span class="brand">mtdvat</span>
<span class="company">Company <b><%= it.company %></b></span>
<nav aria-label="Workspace">
<ul>
<% for (const n of it.nav) { %><li><a href="<%= n.href %>"<% if (n.href === it.current) { %> aria-current="page"<% } %>><%= n.label %></a></li>
<% } %></ul>
</nav>
</header>
<main id="main">
<h1><%= it.title %></h1>
<% for (const f of it.flashes) { %><p class="flash <%= f.kind %>" role="<%= f.kind === 'error' ? 'alert' : 'status' %>"><%= f.text %></p>
<% } %>
<%~ it.body %>
</main>
</body>
</html>
`;

const CSRF = `<input type="hidden" name="_csrf" value="<%= it.csrf %>">`;

const HOME = `<p>The Electronic messages workspace of this computer: the same library as the <code>mtdvat</code> command line, on pages.</p>
<ul class="cards">
<% for (const n of it.nav) { %><li><a href="<%= n.href %>"><%= n.label %></a></li>
<% } %></ul>`;

const ERROR = `<p class="flash error" role="alert"><%= it.message %></p>
<% if (it.back) { %><p><a href="<%= it.back %>">Back</a></p><% } %>`;

const IMPORT = `<section aria-labelledby="upload-h">
<h2 id="upload-h">Upload a data package</h2>
<p>A Dynamics 365 data package (.zip) that holds the Electronic messages setup. mtdvat first shows what the package holds and what its import would fail on; nothing is imported until you select <b>Import</b>.</p>
<form method="post" action="/import/inspect" enctype="multipart/form-data" class="stack">
<%~ include('@csrf', it) %>
<label for="package">Package file</label>
<input id="package" name="package" type="file" accept=".zip,application/zip" required>
<div><button type="submit">Upload and inspect</button></div>
</form>
</section>
<section aria-labelledby="jobs-h">
<h2 id="jobs-h">Import jobs</h2>
<% if (!it.jobs.length) { %><p>No import jobs yet.</p><% } else { %>
<div class="scroll"><table>
<thead><tr><th scope="col">Job</th><th scope="col">Started</th><th scope="col">Package</th><th scope="col">SHA-256</th><th scope="col">Status</th><th scope="col" class="num">Read</th><th scope="col" class="num">Created</th><th scope="col" class="num">Updated</th><th scope="col" class="num">Unchanged</th><th scope="col" class="num">Errors</th></tr></thead>
<tbody>
<% for (const j of it.jobs) { %><tr><td><%= j.id %></td><td><%= j.startedAt %></td><td><%= j.package %></td><td><code><%= j.sha %></code></td><td><%= j.status %></td><td class="num"><%= j.read %></td><td class="num"><%= j.created %></td><td class="num"><%= j.updated %></td><td class="num"><%= j.unchanged %></td><td class="num"><%= j.errors %></td></tr>
<% } %></tbody></table></div>
<% } %>
</section>`;

const INSPECT = `<p>Package <b><%= it.name %></b> (<%= it.bytes %> bytes) · definition group <b><%= it.header.definitionGroupName %></b><% if (it.header.packageType) { %> · <%= it.header.packageType %><% } %></p>
<% for (const w of it.header.warnings) { %><p class="flash info"><%= w %></p><% } %>
<p class="flash <%= it.ok ? 'ok' : 'error' %>" id="inspect-verdict"><%= it.ok ? 'No problem would fail the import.' : it.problems + ' problem(s) would fail the import.' %></p>
<div class="scroll"><table>
<thead><tr><th scope="col">#</th><th scope="col">Entity</th><th scope="col">Format</th><th scope="col">File</th><th scope="col" class="num">Records</th><th scope="col">Schema</th><th scope="col" class="num">Problems</th></tr></thead>
<tbody>
<% it.entities.forEach((e, i) => { %><tr><td><%= i + 1 %></td><td><%= e.entity %></td><td><%= e.format %></td><td><%= e.file %></td><td class="num"><%= e.records %></td><td><%= e.schema ? 'yes' : 'no' %></td><td class="num"><%= e.problemCount %></td></tr>
<% }) %></tbody></table></div>
<% for (const e of it.entities) { if (!e.problems.length && !e.warnings.length) continue; %>
<h3><%= e.entity %></h3><ul>
<% for (const w of e.warnings) { %><li>warning: <%= w %></li><% } %>
<% for (const p of e.problems.slice(0, 20)) { %><li class="bad">problem<% if (p.record !== undefined) { %> (record <%= p.record %><% if (p.key) { %>, key "<%= p.key %>"<% } %>)<% } %>: <%= p.message %></li><% } %>
</ul>
<% } %>
<% if (it.r) { %><h2>What the import would do</h2>
<p id="dry-run"><%= it.r.status === 'Succeeded' ? 'Dry run: ' + it.created + ' record(s) created, ' + it.updated + ' updated, ' + it.unchanged + ' unchanged.' : 'Dry run failed: ' + it.r.errors.length + ' error(s).' %></p>
<% if (it.r.changeCount) { %><h2>Fields the import would change</h2>
<p><%= it.r.changeCount %> field(s)<% if (it.r.changeCount > it.r.changes.length) { %>; the first <%= it.r.changes.length %> are listed<% } %>.</p>
<div class="scroll"><table id="changes"><thead><tr><th scope="col">Entity</th><th scope="col">Record</th><th scope="col">Field</th><th scope="col">From</th><th scope="col">To</th></tr></thead><tbody>
<% for (const ch of it.r.changes) { %><tr><td><%= ch.entity %></td><td><%= ch.key %></td><td><%= ch.field %></td><td><%= ch.old %></td><td><%= ch.new %></td></tr>
<% } %></tbody></table></div><% } %>
<% if (it.r.keptSecrets.length) { %><h2>Kept credentials</h2>
<p>The package leaves these empty, so the stored (encrypted) values are kept:</p>
<ul id="kept"><% for (const k of it.r.keptSecrets) { %><li><%= k.entity %> "<%= k.key %>": <%= k.field %></li><% } %></ul><% } %>
<% } %>
<div class="actions">
<% if (it.ok) { %><form method="post" action="/import/run">
<%~ include('@csrf', it) %>
<input type="hidden" name="upload" value="<%= it.upload %>">
<button type="submit" class="primary">Import</button>
</form><% } %>
<form method="post" action="/import/discard">
<%~ include('@csrf', it) %>
<input type="hidden" name="upload" value="<%= it.upload %>">
<button type="submit">Cancel</button>
</form>
</div>`;

const IMPORT_RESULT = `<p class="flash <%= it.r.status === 'Succeeded' ? 'ok' : 'error' %>" id="import-status">Import <%= it.r.status === 'Succeeded' ? 'succeeded' : 'failed' %> for company <%= it.r.company %> (job <%= it.r.jobId %>)<%= it.r.status === 'Succeeded' ? '.' : ': nothing was written.' %></p>
<div class="scroll"><table>
<thead><tr><th scope="col">Entity</th><th scope="col">File</th><th scope="col">Format</th><th scope="col" class="num">Read</th><th scope="col" class="num">Created</th><th scope="col" class="num">Updated</th><th scope="col" class="num">Unchanged</th><th scope="col" class="num">Failed</th></tr></thead>
<tbody>
<% for (const e of it.r.entities) { %><tr><td><%= e.entity %><%= e.schema ? '' : ' (no schema)' %></td><td><%= e.file %></td><td><%= e.format %></td><td class="num"><%= e.read %></td><td class="num"><%= e.created %></td><td class="num"><%= e.updated %></td><td class="num"><%= e.unchanged %></td><td class="num"><%= e.failed %></td></tr>
<% } %></tbody></table></div>
<% if (it.r.changeCount) { %><h2>Changed fields</h2>
<p><%= it.r.changeCount %> field(s)<% if (it.r.changeCount > it.r.changes.length) { %>; the first <%= it.r.changes.length %> are listed<% } %>.</p>
<div class="scroll"><table id="changes"><thead><tr><th scope="col">Entity</th><th scope="col">Record</th><th scope="col">Field</th><th scope="col">From</th><th scope="col">To</th></tr></thead><tbody>
<% for (const ch of it.r.changes) { %><tr><td><%= ch.entity %></td><td><%= ch.key %></td><td><%= ch.field %></td><td><%= ch.old %></td><td><%= ch.new %></td></tr>
<% } %></tbody></table></div><% } %>
<% if (it.r.keptSecrets.length) { %><h2>Kept credentials</h2>
<p>The package leaves these empty, so the stored (encrypted) values are kept:</p>
<ul id="kept"><% for (const k of it.r.keptSecrets) { %><li><%= k.entity %> "<%= k.key %>": <%= k.field %></li><% } %></ul><% } %>
<% if (it.r.warnings.length) { %><h2>Warnings</h2><ul><% for (const w of it.r.warnings) { %><li><%= w %></li><% } %></ul><% } %>
<% if (it.r.errors.length) { %><h2>Errors</h2><ul><% for (const e of it.r.errors) { %><li class="bad"><%= e.message %><%= e.where %></li><% } %></ul><% } %>
<p><a href="/verify">Setup verification</a> · <a href="/import">Import package</a></p>`;

const VERIFY = `<form method="post" action="/verify" class="actions">
<%~ include('@csrf', it) %>
<button type="submit" class="primary">Run again</button>
</form>
<p class="flash <%= it.ok ? 'ok' : 'error' %>" id="verdict"><%= it.verdict %></p>
<p><%= it.counts.pass %> passed · <%= it.counts.warn %> warnings · <%= it.counts.fail %> failed · run <%= it.at %></p>
<% for (const s of it.sections) { %>
<section aria-labelledby="area-<%= s.id %>">
<h2 id="area-<%= s.id %>"><%= s.title %></h2>
<div class="scroll"><table>
<thead><tr><th scope="col">Status</th><th scope="col">Check</th><th scope="col">Detail</th></tr></thead>
<tbody>
<% for (const k of s.checks) { %><tr><td><span class="badge <%= k.status %>"><%= k.status.toUpperCase() %></span></td><td><b><%= k.title %></b><br><code><%= k.id %></code></td><td><%= k.detail %><% if (k.fix) { %><br><em>What to do:</em> <%= k.fix %><% } %></td></tr>
<% } %></tbody></table></div>
</section>
<% } %>
<p><a href="/verify/report.html" download="mtdvat-verify.html">Download the report (HTML, as <code>mtdvat verify --format html</code>)</a></p>`;

const WEB_APPS = `<% if (!it.apps.length) { %><p>No web applications: <a href="/import">import the setup package</a> first.</p><% } else { %>
<div class="scroll"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Base URL</th><th scope="col">Client ID</th><th scope="col">Client secret</th><th scope="col">Access token</th></tr></thead>
<tbody>
<% for (const a of it.apps) { %><tr><td><a href="<%= a.href %>"><%= a.name %></a></td><td><%= a.description %></td><td><%= a.baseUrl %></td><td><%= a.clientId %></td><td><%= a.clientSecret %></td><td><%= a.token %></td></tr>
<% } %></tbody></table></div>
<% } %>`;

const WEB_APP = `<p><a href="/web-apps">Web applications</a></p>
<section aria-labelledby="token-h" class="panel">
<h2 id="token-h">Access token</h2>
<p id="token-state"><%= it.tokenState %></p>
<% if (it.horizon) { %><p>Authority ends <%= it.horizon %> (granted + 18 months). Scope: <%= it.scope %></p><% } %>
<div class="actions">
<form method="post" action="<%= it.base %>/get-authorization-code">
<%~ include('@csrf', it) %>
<fieldset class="inline"><legend>Redirect</legend>
<label><input type="radio" name="redirect" value="loopback"<% if (it.loopbackDefault) { %> checked<% } %>> this computer receives the code (loopback)</label>
<label><input type="radio" name="redirect" value="oob"<% if (!it.loopbackDefault) { %> checked<% } %>> copy the code from HMRC's page (out-of-band)</label>
</fieldset>
<button type="submit" class="primary">Get authorization code</button>
</form>
<form method="post" action="<%= it.base %>/refresh-access-token">
<%~ include('@csrf', it) %>
<button type="submit"<% if (!it.hasToken) { %> disabled<% } %>>Refresh access token</button>
</form>
</div>
<form method="post" action="<%= it.base %>/obtain-access-token" class="stack narrow">
<%~ include('@csrf', it) %>
<label for="code">Authorization code (from HMRC's page, within 10 minutes)</label>
<input id="code" name="code" type="text" autocomplete="off" spellcheck="false" required>
<div><button type="submit">Obtain access token</button></div>
</form>
</section>
<section aria-labelledby="fields-h">
<h2 id="fields-h">General</h2>
<dl class="fields">
<% for (const f of it.fields) { %><dt><%= f.label %></dt><dd<% if (f.secret) { %> class="secret"<% } %>><%= f.value %></dd>
<% } %></dl>
</section>
<section aria-labelledby="cred-h">
<h2 id="cred-h">Client ID and client secret</h2>
<p>Stored encrypted; never shown again. Leave a box empty to keep what is stored.</p>
<form method="post" action="<%= it.base %>/credentials" class="stack narrow" autocomplete="off">
<%~ include('@csrf', it) %>
<label for="clientId">Client ID</label>
<input id="clientId" name="clientId" type="password" autocomplete="off" spellcheck="false">
<label for="clientSecret">Client secret</label>
<input id="clientSecret" name="clientSecret" type="password" autocomplete="new-password" spellcheck="false">
<div><button type="submit">Save credentials</button></div>
</form>
</section>`;

const CONSENT = `<form method="post" action="<%= it.action %>" class="panel stack">
<%~ include('@csrf', it) %>
<input type="hidden" name="redirect" value="<%= it.redirect %>">
<p id="consent-question"><%= it.question %></p>
<div class="actions">
<button type="submit" name="consent" value="yes" class="primary">Yes</button>
<button type="submit" name="consent" value="no">No</button>
</div>
</form>`;

const AUTH_WAIT = `<p><a href="<%= it.back %>"><%= it.app %></a></p>
<% if (it.state === 'waiting') { %>
<p class="flash info" role="status" id="auth-state">Waiting for HMRC's redirect to this computer (<%= it.redirectUri %>), until <%= it.expiresAt %>. This page checks again every few seconds.</p>
<p><a id="hmrc-link" href="<%= it.authorizationUrl %>" target="_blank" rel="noopener noreferrer" class="button primary">Sign in to HMRC and grant authority</a> (opens a new window)</p>
<% } else if (it.state === 'oob') { %>
<p class="flash info" id="auth-state">Sign in to HMRC and select "Grant authority"; HMRC then shows a code. Paste it below within 10 minutes (until <%= it.expiresAt %>).</p>
<p><a id="hmrc-link" href="<%= it.authorizationUrl %>" target="_blank" rel="noopener noreferrer" class="button primary">Sign in to HMRC and grant authority</a> (opens a new window)</p>
<form method="post" action="<%= it.base %>/obtain-access-token" class="stack narrow">
<%~ include('@csrf', it) %>
<label for="code">Authorization code</label>
<input id="code" name="code" type="text" autocomplete="off" spellcheck="false" required>
<div><button type="submit">Obtain access token</button></div>
</form>
<% } else if (it.state === 'done') { %>
<p class="flash ok" role="status" id="auth-state"><%= it.message %></p>
<% } else { %>
<p class="flash error" role="alert" id="auth-state"><%= it.message %></p>
<% } %>`;

const UNAUTHORIZED = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Session needed – mtdvat</title></head>
<body><main id="main"><h1>Session needed</h1><p>Open the address that <code>mtdvat ui</code> printed: it carries this run's session token.</p></main></body></html>`;

export const TEMPLATES: Record<string, string> = {
  layout: LAYOUT,
  csrf: CSRF,
  home: HOME,
  error: ERROR,
  import: IMPORT,
  inspect: INSPECT,
  'import-result': IMPORT_RESULT,
  verify: VERIFY,
  'web-apps': WEB_APPS,
  'web-app': WEB_APP,
  consent: CONSENT,
  'auth-wait': AUTH_WAIT,
};

export class Views {
  private readonly eta = new Eta({ autoEscape: true, cache: true });
  private readonly extra = new Set<string>();

  constructor(templates: Record<string, string> = TEMPLATES) {
    for (const [name, text] of Object.entries(templates)) this.add(name, text);
  }

  /** Registers more templates (the Electronic messages pages add theirs). */
  add(name: string, text: string): void {
    this.eta.loadTemplate(`@${name}`, text);
    this.extra.add(name);
  }

  render(name: string, data: object): string {
    return this.eta.render(`@${name}`, data);
  }

  page(frame: PageFrame & { refresh?: number; refreshUrl?: string }, name: string, data: object): string {
    const body = this.render(name, { ...data, csrf: frame.csrf });
    return this.render('layout', { ...frame, body });
  }

  static unauthorizedPage(): string {
    return UNAUTHORIZED;
  }
}
