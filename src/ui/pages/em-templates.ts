/** Templates of the Electronic messages and VAT pages (eta; `<%= %>` escapes). */

export const EM = `<form method="get" action="/em" class="actions" aria-label="Choose the processing">
<div class="stack"><label for="processing">Processing</label>
<select id="processing" name="processing">
<% for (const p of it.processings) { %><option value="<%= p %>"<% if (p === it.processing) { %> selected<% } %>><%= p %></option>
<% } %></select></div>
<button type="submit">Show</button>
</form>
<% if (!it.processings.length) { %><p>No processings: <a href="/import">import the setup package</a> first.</p><% } else { %>
<div class="actions">
<form method="post" action="/em/new" class="actions">
<%~ include('@csrf', it) %>
<input type="hidden" name="processing" value="<%= it.processing %>">
<% if (it.creators.length > 1) { %><div class="stack"><label for="new-action">Create message action</label><select id="new-action" name="action"><% for (const a of it.creators) { %><option value="<%= a %>"><%= a %></option><% } %></select></div><% } %>
<% if (it.datesOnNew) { %><div class="stack"><label for="new-from">From date</label><input id="new-from" name="from" type="date"></div><div class="stack"><label for="new-to">To date</label><input id="new-to" name="to" type="date"></div><% } %>
<button type="submit" class="primary">New</button>
</form>
</div>
<details class="panel"<% if (it.fieldsOpen) { %> open<% } %>><summary>Message additional fields of the processing</summary>
<form method="post" action="/em/processing-fields" class="stack narrow">
<%~ include('@csrf', it) %>
<input type="hidden" name="processing" value="<%= it.processing %>">
<% it.editable.forEach((f, i) => { %><label for="pf-<%= i %>"><%= f.name %></label><input id="pf-<%= i %>" name="field:<%= f.name %>" type="text" value="<%= f.value %>" autocomplete="off">
<% }) %>
<div><button type="submit">Save</button></div>
</form>
</details>
<p id="message-count"><%= it.total %> message(s)<% if (it.pages > 1) { %> · page <%= it.page %> of <%= it.pages %><% } %></p>
<% if (it.rows.length) { %>
<div class="scroll"><table id="messages">
<caption class="skip">Electronic messages of <%= it.processing %></caption>
<thead><tr><th scope="col">Message</th><th scope="col">Description</th><th scope="col">From date</th><th scope="col">To date</th><th scope="col">Message status</th><% for (const f of it.fieldNames) { %><th scope="col"><%= f %></th><% } %></tr></thead>
<tbody>
<% for (const m of it.rows) { %><tr<% if (m.selected) { %> class="selected" aria-current="true"<% } %>><td><a href="<%= m.href %>"><%= m.message %></a></td><td><%= m.description %></td><td><%= m.fromDate %></td><td><%= m.toDate %></td><td><%= m.status %></td><% for (const f of it.fieldNames) { %><td><%= m.fields[f] ?? '' %></td><% } %></tr>
<% } %></tbody></table></div>
<% } %>
<% if (it.pages > 1) { %><nav class="pager" aria-label="Pages">
<% if (it.prev) { %><a href="<%= it.prev %>" rel="prev">Previous page</a><% } %>
<% if (it.next) { %><a href="<%= it.next %>" rel="next">Next page</a><% } %>
</nav><% } %>
<% if (it.selected) { const s = it.selected; %>
<section class="panel" aria-labelledby="selected-h" id="selected">
<h2 id="selected-h">Message <%= s.message %> · <span id="message-status"><%= s.status %></span></h2>
<% if (s.job) { %><p class="flash <%= s.job.kind %>" role="status" id="run-state"><%= s.job.text %></p>
<% if (s.job.steps.length) { %><ul id="run-steps"><% for (const st of s.job.steps) { %><li><b><%= st.action %></b>: <%= st.from || '(new)' %> → <%= st.to %> (<%= st.responseType %>)<% if (st.log) { %> — <%= st.log %><% } %></li><% } %></ul><% } %>
<% } %>
<% if (s.runPid) { %><p class="flash info">Being processed by process <%= s.runPid %>.</p><% } %>
<dl class="fields">
<dt>Processing</dt><dd><%= s.processing %></dd>
<dt>Description</dt><dd><%= s.description %></dd>
<dt>From date</dt><dd><%= s.fromDate %></dd>
<dt>To date</dt><dd><%= s.toDate %></dd>
<% for (const [k, v] of s.fields) { %><dt><%= k %></dt><dd><%= v %></dd>
<% } %></dl>
<h3>Actions</h3>
<% if (!s.buttons.length) { %><p id="no-actions">No action is offered in status "<%= s.status %>".</p><% } %>
<div class="actions" id="actions">
<% for (const b of s.buttons) { %>
<% if (b.kind === 'collect') { %><form method="post" action="<%= s.base %>/run" enctype="multipart/form-data" class="panel stack">
<%~ include('@csrf', it) %>
<input type="hidden" name="kind" value="collect"><input type="hidden" name="action" value="<%= b.action %>">
<label for="collect-file">RETURN file (RETURN.json or RETURN.xlsx) for "<%= b.action %>"</label>
<input id="collect-file" name="file" type="file" accept=".json,.xlsx,application/json" required>
<div><button type="submit">Collect data</button></div>
</form>
<% } else if (b.kind === 'send') { %><a class="button primary" href="<%= s.base %>/send?action=<%= encodeURIComponent(b.action) %>">Send report</a>
<% } else { %><form method="post" action="<%= s.base %>/run">
<%~ include('@csrf', it) %>
<input type="hidden" name="kind" value="<%= b.kind %>"><input type="hidden" name="action" value="<%= b.action %>">
<button type="submit"<% if (b.primary) { %> class="primary"<% } %> title="<%= b.action %>"><%= b.label %></button>
</form>
<% } %>
<% } %>
<% if (s.canDelete) { %><form method="post" action="<%= s.base %>/delete"><%~ include('@csrf', it) %><button type="submit">Delete</button></form><% } %>
</div>
<% if (s.items.length) { %><h3>Message items</h3>
<div class="scroll"><table id="items"><thead><tr><th scope="col">Message item</th><th scope="col">Item type</th><th scope="col">Item status</th><th scope="col">Date</th><th scope="col">Document number</th><% for (const b of it.boxHeads) { %><th scope="col" class="num"><%= b %></th><% } %></tr></thead><tbody>
<% for (const i of s.items) { %><tr><td><%= i.item %></td><td><%= i.itemType %></td><td><%= i.status %></td><td><%= i.itemDate %></td><td><%= i.document %></td><% for (const b of i.boxes) { %><td class="num"><%= b %></td><% } %></tr>
<% } %></tbody></table></div><% } %>
<h3>Action log</h3>
<% if (!s.log.length) { %><p>Empty.</p><% } else { %><div class="scroll"><table id="action-log"><thead><tr><th scope="col">Action</th><th scope="col">Status from</th><th scope="col">Status to</th><th scope="col">Response type</th><th scope="col">User</th><th scope="col">Date and time</th><th scope="col">Text</th></tr></thead><tbody>
<% for (const l of s.log) { %><tr><td><%= l.action %></td><td><%= l.from %></td><td><%= l.to %></td><td><%= l.responseType %></td><td><%= l.user %></td><td><%= l.end %></td><td><%= l.text %></td></tr>
<% } %></tbody></table></div><% } %>
<h3>Attachments</h3>
<% if (!s.attachments.length) { %><p>None.</p><% } else { %><ul id="attachments"><% for (const a of s.attachments) { %><li><a href="<%= a.href %>" download><%= a.name %></a> · <%= a.bytes %> bytes · <%= a.createdAt %> · SHA-256 <code><%= a.sha %></code></li><% } %></ul><% } %>
<% if (s.vat100) { %><p><a href="<%= s.vat100 %>" download>VAT 100 (Excel)</a></p><% } %>
</section>
<% } %>
<% } %>`;

export const SEND = `<p><a href="<%= it.back %>">Message <%= it.message %></a> · <%= it.status %></p>
<form method="post" action="<%= it.action %>" class="panel stack">
<%~ include('@csrf', it) %>
<input type="hidden" name="kind" value="send"><input type="hidden" name="action" value="<%= it.actionName %>"><input type="hidden" name="file" value="<%= it.sha %>">
<h2>VAT return to send</h2>
<div class="scroll"><table id="boxes"><thead><tr><th scope="col" class="num">Box</th><th scope="col">Description</th><th scope="col" class="num">Amount (£)</th></tr></thead><tbody>
<% for (const r of it.rows) { %><tr><td class="num"><%= r.box %></td><td><%= r.description %></td><td class="num"><%= r.amount %></td></tr>
<% } %></tbody></table></div>
<h2>Declaration</h2>
<p class="declaration" id="declaration"><%= it.declaration %></p>
<label><input type="checkbox" name="declaration" value="yes" required> I confirm the declaration above</label>
<div class="actions"><button type="submit" class="primary">Send report</button> <a href="<%= it.back %>">Cancel</a></div>
</form>`;

export const FRAUD_CONSENT = `<form method="post" action="<%= it.action %>" class="panel stack">
<%~ include('@csrf', it) %>
<% for (const [k, v] of it.fields) { %><input type="hidden" name="<%= k %>" value="<%= v %>">
<% } %>
<pre id="fph-text"><%= it.text %></pre>
<p><b>Send this fraud prevention data to HMRC with every request?</b></p>
<div class="actions"><button type="submit" name="fphConsent" value="yes" class="primary">Yes</button><button type="submit" name="fphConsent" value="no">No</button></div>
</form>`;

export const VAT = `<section class="panel" aria-labelledby="q-h">
<h2 id="q-h">Ask HMRC</h2>
<form method="post" action="/vat/query" class="stack narrow">
<%~ include('@csrf', it) %>
<label for="vat-app">Web application</label>
<select id="vat-app" name="app"><% for (const a of it.apps) { %><option value="<%= a %>"<% if (a === it.q.app) { %> selected<% } %>><%= a %></option><% } %></select>
<label for="vat-vrn">Tax registration number</label>
<input id="vat-vrn" name="vrn" type="text" inputmode="numeric" autocomplete="off" value="<%= it.q.vrn %>" required>
<fieldset class="inline"><legend>What</legend>
<label><input type="radio" name="what" value="obligations"<% if (it.q.what === 'obligations') { %> checked<% } %>> Obligations</label>
<label><input type="radio" name="what" value="liabilities"<% if (it.q.what === 'liabilities') { %> checked<% } %>> Liabilities</label>
<label><input type="radio" name="what" value="payments"<% if (it.q.what === 'payments') { %> checked<% } %>> Payments</label>
</fieldset>
<label for="vat-from">From date (obligations: empty for the open ones)</label>
<input id="vat-from" name="from" type="date" value="<%= it.q.from %>">
<label for="vat-to">To date</label>
<input id="vat-to" name="to" type="date" value="<%= it.q.to %>">
<div><button type="submit" class="primary">Get from HMRC</button></div>
</form>
</section>
<% if (it.result) { %>
<section aria-labelledby="r-h">
<h2 id="r-h"><%= it.result.title %></h2>
<% if (!it.result.rows.length) { %><p>HMRC returned none.</p><% } else { %>
<div class="scroll"><table id="vat-result"><thead><tr><% for (const h of it.result.head) { %><th scope="col"><%= h %></th><% } %></tr></thead><tbody>
<% for (const r of it.result.rows) { %><tr><% for (const c of r) { %><td><%= c %></td><% } %></tr>
<% } %></tbody></table></div><% } %>
</section>
<% } %>
<section class="panel" aria-labelledby="v100-h">
<h2 id="v100-h">VAT 100</h2>
<p>The VAT 100 report of a message's generated VAT return (VAT_return.json), as Excel.</p>
<form method="get" action="/vat/vat100" class="actions">
<div class="stack"><label for="v100-message">Message</label><input id="v100-message" name="message" type="text" inputmode="numeric" required></div>
<button type="submit">Download VAT 100</button>
</form>
</section>`;
