import type { Argv, CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from '../global.js';
import type { RunKind, RunResult } from '../../em/run.js';
import type { MessageView } from '../../em/messages.js';
import { escapeControls } from '../../lib/terminal-text.js';
import { print, printJson, table, info } from '../output.js';
import { MtdvatError, UsageError, failedWithResult } from '../../errors.js';
import { confirm } from '../prompt.js';
import { dateOption } from '../options.js';
import { emItemsCommand } from './em-items.js';

/**
 * `mtdvat em …`: Electronic messages, with D365's button names (New, Collect data, Generate report,
 * Send report, Import response, Update status, Run processing). Parsing and printing only; the work is
 * in src/em/. The period key is a hidden field: nothing printed here contains it.
 */

interface MsgArgs extends GlobalArgs {
  message: string;
}
interface RunArgs extends MsgArgs {
  action?: string;
  'to-status'?: string;
  yes: boolean;
  file?: string;
  replace?: boolean;
}

/** Text from the setup or from HMRC is data: one value per call, every control and bidi character escaped. */
function clean(text: string | number | null | undefined): string {
  return escapeControls(String(text ?? ''));
}

function msgPositional<T>(y: Argv<T>): Argv<T & MsgArgs> {
  return y.positional('message', { type: 'string', demandOption: true, describe: 'Message number (see `mtdvat em list`)' }) as Argv<T & MsgArgs>;
}

async function printMessages(views: MessageView[], json: boolean): Promise<void> {
  if (json) return printJson(views);
  if (!views.length) return info('No electronic messages. Create one with `mtdvat em new --processing "UK MTD VAT TEST" --action "Create VAT obligation request"`.');
  print(
    table(
      ['Message', 'Processing', 'Description', 'From', 'To', 'Status', 'Next actions'],
      views.map((v) => [v.message, clean(v.processing), clean(v.description), v.fromDate ?? '', v.toDate ?? '', clean(v.status), v.nextActions.map(clean).join(', ')]),
    ),
  );
}

// ---------- processings ----------

interface SetFieldArgs extends GlobalArgs {
  processing: string;
  field: string[];
}

const processingsSet: CommandModule<GlobalArgs, SetFieldArgs> = {
  command: 'set <processing>',
  describe: 'Set default values of a processing\'s message additional fields, e.g. --field "Tax registration number=666555497"',
  builder: (y) =>
    y
      .positional('processing', { type: 'string', demandOption: true, describe: 'Processing name, e.g. "UK MTD VAT TEST"' })
      .option('field', { type: 'string', array: true, demandOption: true, describe: 'NAME=VALUE (repeatable)' }) as unknown as Argv<SetFieldArgs>,
  handler: async (argv) => {
    const { setProcessingField } = await import('../../em/messages.js');
    const pairs = argv.field.map((f) => {
      const i = String(f).indexOf('=');
      if (i <= 0) throw new UsageError(`--field must be NAME=VALUE, got "${f}"`);
      return [String(f).slice(0, i).trim(), String(f).slice(i + 1)] as const;
    });
    const view = await withContext(argv, (ctx) => ctx.db.transaction(() => pairs.map(([n, v]) => setProcessingField(ctx, argv.processing, n, v)).at(-1)!)());
    if (argv.json) return printJson(view);
    for (const [n] of pairs) print(`${clean(view.processing)}: "${clean(n)}" = "${clean(view.fields[n])}"`);
  },
};

const processings: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'processings',
  describe: 'Electronic message processings: their actions (initial → result statuses) and additional fields',
  builder: (y) => y.command(processingsSet) as unknown as Argv<GlobalArgs>,
  handler: async (argv) => {
    const { processingViews } = await import('../../em/messages.js');
    const views = await withContext(argv, (ctx) => processingViews(ctx));
    if (argv.json) return printJson(views);
    if (!views.length) return info('No processings: import the setup package first (mtdvat import-package FILE).');
    for (const p of views) {
      print(`${clean(p.processing)} — ${clean(p.description)}`);
      print(
        table(
          ['Action', 'Type', 'Initial statuses', 'Result statuses', 'Run separately'],
          p.actions.map((a) => [clean(a.action), clean(a.type), a.initialStatuses.map(clean).join(', '), a.resultStatuses.map(clean).join(', '), a.runSeparately ? 'Yes' : 'No']),
        ),
      );
      const fields = Object.entries(p.fields).map(([k, v]) => `${clean(k)}=${clean(v)}`);
      print(`Additional fields: ${fields.join('; ') || 'none'}`);
      print('');
    }
  },
};

// ---------- new / list / show ----------

interface NewArgs extends GlobalArgs {
  processing: string;
  action?: string;
  from?: string;
  to?: string;
}

const newCmd: CommandModule<GlobalArgs, NewArgs> = {
  command: 'new',
  describe: 'New: create an electronic message with a Create message action of the processing',
  builder: (y) =>
    y
      .option('processing', { type: 'string', demandOption: true, describe: 'Processing name, e.g. "UK MTD VAT TEST"' })
      .option('action', { type: 'string', describe: 'Create message action (when the processing has several)' })
      .option('from', dateOption('from', 'From date YYYY-MM-DD'))
      .option('to', dateOption('to', 'To date YYYY-MM-DD')) as unknown as Argv<NewArgs>,
  handler: async (argv) => {
    const { newMessage } = await import('../../em/messages.js');
    const { userInfo } = await import('node:os');
    const view = await withContext(argv, (ctx) => newMessage(ctx, { processing: argv.processing, action: argv.action, from: argv.from, to: argv.to, user: userInfo().username }));
    if (argv.json) {
      return printJson(view);
    }
    await printMessages([view], false);
  },
};

interface ListArgs extends GlobalArgs {
  processing?: string;
  status?: string;
}

const list: CommandModule<GlobalArgs, ListArgs> = {
  command: 'list',
  describe: 'Electronic messages with their status and the actions they offer next',
  builder: (y) =>
    y
      .option('processing', { type: 'string', describe: 'Only this processing' })
      .option('status', { type: 'string', describe: 'Only messages in this status' }) as unknown as Argv<ListArgs>,
  handler: async (argv) => {
    const { listMessageViews } = await import('../../em/messages.js');
    const views = await withContext(argv, (ctx) => listMessageViews(ctx, { processing: argv.processing, status: argv.status }));
    await printMessages(views, !!argv.json);
  },
};

const show: CommandModule<GlobalArgs, MsgArgs> = {
  command: 'show <message>',
  describe: 'One message: its fields, items, action log and attachments',
  builder: (y) => msgPositional(y),
  handler: async (argv) => {
    const { messageDetail, parseMessageNumber } = await import('../../em/messages.js');
    const { latestHmrcTable } = await import('../../em/responses.js');
    const { loadEmSetup } = await import('../../em/model.js');
    const d = await withContext(argv, (ctx) => {
      const detail = messageDetail(ctx, parseMessageNumber(argv.message));
      // HMRC's answer to a liabilities or payments request, read as a table (absent for other messages).
      const hmrc = latestHmrcTable(ctx, loadEmSetup(ctx.db, ctx.company), detail.message);
      return hmrc ? { ...detail, hmrcResponse: hmrc } : detail;
    });
    if (argv.json) return printJson(d);
    print(`Message ${d.message} · ${clean(d.processing)} · ${clean(d.description)}`);
    print(`Period: ${d.fromDate ?? '-'} to ${d.toDate ?? '-'} · Status: ${clean(d.status)}`);
    for (const [k, v] of Object.entries(d.fields)) print(`  ${clean(k)}: ${clean(v)}`);
    print(`Next actions: ${d.nextActions.map(clean).join(', ') || 'none'}`);
    if (d.items.length) {
      print('\nItems');
      print(table(['Item', 'Type', 'Status', 'Date', 'Document', 'Box 1', 'Box 4', 'Box 6'], d.items.map((i) => [i.item, clean(i.itemType), clean(i.status), i.itemDate ?? '', clean(i.document), i.boxes.vatDueSales ?? '', i.boxes.vatReclaimedCurrPeriod ?? '', i.boxes.totalValueSalesExVAT ?? ''])));
    }
    if (d.log.length) {
      print('\nAction log');
      print(table(['Log', 'Action', 'From', 'To', 'Response type', 'User', 'End', 'Text'], d.log.map((l) => [l.log, clean(l.action), clean(l.from), clean(l.to), l.responseType, clean(l.user), l.end, clean(l.text)])));
    }
    if ('hmrcResponse' in d && d.hmrcResponse) {
      const h = d.hmrcResponse;
      print(`\nHMRC's ${h.kind} (attachment ${h.attachment})`);
      if (h.problem) print(`  ${clean(h.problem)}`);
      else if (!h.rows.length) print(`  HMRC found no ${h.kind} for this period.`);
      else print(table(h.columns, h.rows.map((r) => r.map(clean)), { align: h.columns.map((c) => (/amount/i.test(c) ? 'right' : 'left')) }));
    }
    if (d.attachments.length) {
      print('\nAttachments');
      print(table(['Attachment', 'Name', 'Media type', 'Bytes', 'SHA-256', 'Log'], d.attachments.map((a) => [a.attachment, clean(a.name), clean(a.mediaType), a.bytes, a.sha256, a.log ?? ''])));
    }
  },
};

// ---------- run and its buttons ----------

async function runAndPrint(argv: RunArgs, kind?: RunKind): Promise<void> {
  const { parseMessageNumber } = await import('../../em/messages.js');
  const { runMessage } = await import('../../em/run.js');
  const { userInfo } = await import('node:os');
  const result: RunResult = await withContext(argv, (ctx) =>
    runMessage(
      ctx,
      { message: parseMessageNumber(argv.message), action: argv.action, kind, toStatus: argv['to-status'], file: argv.file, replace: argv.replace, user: userInfo().username },
      {
        consent: { yes: argv.yes, show: info, ask: (q) => confirm(q) },
        announce: (line) => info(clean(line)),
        confirmSend: async (view) => {
          const w = process.stderr;
          w.write(`\nVAT return to send (message ${view.message}):\n`);
          w.write(table(['Box', 'Description', 'Amount'], view.rows.map((r) => [r.box, r.description, r.amount]), { align: ['right', 'left', 'right'] }) + '\n');
          w.write(`\n${view.declaration}\n\n`);
          if (argv.yes) {
            info('Declaration confirmed with --yes.');
            return true;
          }
          return confirm('Do you confirm the declaration and send this return to HMRC?');
        },
      },
    ),
  );
  const failed = result.steps.find((s) => s.responseType !== 'Successfully executed');
  if (argv.json) {
    if (!failed) printJson(result);
  } else {
    for (const s of result.steps) {
      print(`${clean(s.action)}: ${clean(s.from) || '(new)'} → ${clean(s.to)} (${s.responseType})`);
      if (s.log) print(`  ${clean(s.log)}`);
      if (s.attachments.length) print(`  Attached: ${s.attachments.map(clean).join(', ')}`);
      if (s.created.length) print(`  Created messages: ${s.created.join(', ')}`);
    }
    print(`Message ${result.message} is in "${clean(result.status)}".`);
  }
  if (failed) {
    // The run's result keeps its shape under --json, with `error` added (main.ts prints it).
    const error = new MtdvatError(`message ${result.message}: action "${failed.action}" ended as ${failed.responseType}${failed.log ? `: ${failed.log}` : ''}`);
    throw failedWithResult(error, result as unknown as Record<string, unknown>);
  }
}

function runOptions<T>(y: Argv<T>, opts: { action?: 'optional' | 'required'; toStatus?: boolean; file?: boolean } = {}): Argv<T & RunArgs> {
  let b = msgPositional(y) as Argv<T & RunArgs>;
  if (opts.action) b = b.option('action', { type: 'string', demandOption: opts.action === 'required', describe: 'Action name (as in `mtdvat em processings`)' }) as Argv<T & RunArgs>;
  if (opts.toStatus) b = b.option('to-status', { type: 'string', describe: 'Result status, when the action has several of one response type' }) as Argv<T & RunArgs>;
  if (opts.file) b = b.option('file', { type: 'string', describe: 'LINES.csv / LINES.xlsx (VAT lines, one item each) or RETURN.json / RETURN.xlsx (the nine boxes)' }) as Argv<T & RunArgs>;
  return b.option('yes', { type: 'boolean', default: false, describe: 'Answer yes: fraud-header consent and, when sending, the declaration' }) as Argv<T & RunArgs>;
}

const run: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run <message>',
  describe: 'Run processing: the one action offered (or --action), then every chained action (Run separately = No)',
  builder: (y) => runOptions(y, { action: 'optional', toStatus: true, file: true }),
  handler: (argv) => runAndPrint(argv),
};

const collectData: CommandModule<GlobalArgs, RunArgs> = {
  command: 'collect-data <message>',
  describe: 'Collect data (Populate records): one item per VAT line of LINES.csv / LINES.xlsx, or the nine boxes of RETURN.json / RETURN.xlsx',
  builder: (y) =>
    runOptions(y, { action: 'optional', file: true })
      .demandOption('file')
      .option('replace', { type: 'boolean', default: false, describe: "VAT lines: first remove this message's Populated items (a corrected file replaces the earlier one)" }),
  handler: (argv) => runAndPrint(argv, 'collect'),
};

const generateReport: CommandModule<GlobalArgs, RunArgs> = {
  command: 'generate-report <message>',
  describe: 'Generate report: VAT_return.json (or, with --action "Preview VAT return", the preview workbook)',
  builder: (y) => runOptions(y, { action: 'optional' }),
  handler: (argv) => runAndPrint(argv, 'generate'),
};

const sendReport: CommandModule<GlobalArgs, RunArgs> = {
  command: 'send-report <message>',
  describe: "Send report: submit the last generated VAT_return.json to HMRC after HMRC's legal declaration, then import the response",
  builder: (y) => runOptions(y, { action: 'optional' }),
  handler: (argv) => runAndPrint(argv, 'send'),
};

const importResponse: CommandModule<GlobalArgs, RunArgs> = {
  command: 'import-response <message>',
  describe: "Import response: read HMRC's attached answer (resumes a chain that did not finish)",
  builder: (y) => runOptions(y, { action: 'optional' }),
  handler: (argv) => runAndPrint(argv, 'import'),
};

const updateStatus: CommandModule<GlobalArgs, RunArgs> = {
  command: 'update-status <message>',
  describe: 'Update status: a user processing action, e.g. "Ready to generate VAT return"',
  builder: (y) => runOptions(y, { action: 'required', toStatus: true }),
  handler: (argv) => runAndPrint(argv, 'update'),
};

// ---------- log / attachments / delete ----------

interface LogArgs extends GlobalArgs {
  message?: string;
}

const log: CommandModule<GlobalArgs, LogArgs> = {
  command: 'log [message]',
  describe: 'Action log: every action run (of one message, or all)',
  builder: (y) => y.positional('message', { type: 'string', describe: 'Message number' }) as Argv<LogArgs>,
  handler: async (argv) => {
    const { listLogViews, parseMessageNumber } = await import('../../em/messages.js');
    const rows = await withContext(argv, (ctx) => listLogViews(ctx, argv.message === undefined ? undefined : parseMessageNumber(argv.message)));
    if (argv.json) return printJson(rows);
    if (!rows.length) return info('The action log is empty.');
    print(
      table(
        ['Log', 'Message', 'Action', 'From', 'To', 'Response type', 'User', 'Start', 'End', 'Items', 'Text'],
        rows.map((l) => [l.log, l.message, clean(l.action), clean(l.from), clean(l.to), l.responseType, clean(l.user), l.start, l.end, l.items.join(', '), clean(l.text)]),
      ),
    );
  },
};

interface AttachmentsArgs extends MsgArgs {
  save?: string;
}

const attachments: CommandModule<GlobalArgs, AttachmentsArgs> = {
  command: 'attachments <message>',
  describe: 'Files generated or received for a message; --save DIR writes them as they were sent and received',
  builder: (y) => msgPositional(y).option('save', { type: 'string', describe: 'Existing folder to save the files into' }) as unknown as Argv<AttachmentsArgs>,
  handler: async (argv) => {
    const { messageDetail, parseMessageNumber, saveAttachments } = await import('../../em/messages.js');
    const message = parseMessageNumber(argv.message);
    const { list: items, saved } = await withContext(argv, (ctx) => ({
      list: messageDetail(ctx, message).attachments,
      saved: argv.save !== undefined ? saveAttachments(ctx, message, argv.save) : [],
    }));
    if (argv.json) return printJson(items.map((a) => ({ ...a, ...(saved.length ? { saved: saved.find((s) => s.attachment === a.attachment)?.path } : {}) })));
    if (!items.length) return info(`Message ${message} has no attachments.`);
    print(table(['Attachment', 'Name', 'Media type', 'Bytes', 'SHA-256', 'Created'], items.map((a) => [a.attachment, clean(a.name), clean(a.mediaType), a.bytes, a.sha256, a.createdAt])));
    for (const s of saved) info(`Saved ${clean(s.path)}`);
  },
};

const del: CommandModule<GlobalArgs, MsgArgs> = {
  command: 'delete <message>',
  describe: 'Delete a message (only where its status allows delete)',
  builder: (y) => msgPositional(y),
  handler: async (argv) => {
    const { deleteMessageChecked, parseMessageNumber } = await import('../../em/messages.js');
    const message = parseMessageNumber(argv.message);
    await withContext(argv, (ctx) => deleteMessageChecked(ctx, message));
    if (argv.json) return printJson({ message, deleted: true });
    print(`Message ${message} deleted.`);
  },
};

export const emCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'em <command>',
  describe: 'Electronic messages: run the imported processing as in Dynamics 365 (new, collect data, generate, send, import response)',
  builder: (y) =>
    y
      .command(processings)
      .command(newCmd)
      .command(list)
      .command(show)
      .command(run)
      .command(collectData)
      .command(generateReport)
      .command(sendReport)
      .command(importResponse)
      .command(updateStatus)
      .command(log)
      .command(attachments)
      .command(del)
      .command(emItemsCommand)
      .demandCommand(1, 'Name an em subcommand.') as unknown as Argv<GlobalArgs>,
  handler: () => {},
};
