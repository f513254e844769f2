import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import type { ItemChange } from '../../em/items.js';
import { escapeControls } from '../../lib/terminal-text.js';

/**
 * `mtdvat em items MSG [--json]`, `em items exclude|restore MSG ITEM…`: D365's Electronic message items
 * and its item-level user processing actions ("Exclude from reporting", "Update to initial status").
 * Parsing and printing only; the work is in src/em/items.ts.
 */

interface ItemsArgs extends GlobalArgs {
  message: string;
}
interface ChangeArgs extends ItemsArgs {
  item: (string | number)[];
}

/** Text from files, the setup or HMRC is data: every control and bidi character escaped. */
function clean(text: string | number | null | undefined): string {
  return escapeControls(String(text ?? ''));
}

const BOX_COLUMNS: [string, string][] = [
  ['Box 1', 'vatDueSales'],
  ['Box 2', 'vatDueAcquisitions'],
  ['Box 4', 'vatReclaimedCurrPeriod'],
  ['Box 6', 'totalValueSalesExVAT'],
  ['Box 7', 'totalValuePurchasesExVAT'],
  ['Box 8', 'totalValueGoodsSuppliedExVAT'],
  ['Box 9', 'totalAcquisitionsExVAT'],
];

function changeCommand(change: ItemChange): CommandModule<GlobalArgs, ChangeArgs> {
  return {
    command: `${change} <message> <item..>`,
    describe:
      change === 'exclude'
        ? 'Exclude from reporting: the items stay on the message but are not reported (logged with their numbers)'
        : 'Update to initial status: excluded items are reported again (logged with their numbers)',
    builder: (y) =>
      y
        .positional('message', { type: 'string', demandOption: true, describe: 'Message number' })
        .positional('item', { type: 'string', array: true, demandOption: true, describe: 'Item numbers (see `mtdvat em items MSG`)' }) as unknown as Argv<ChangeArgs>,
    handler: async (argv) => {
      const { withContext } = await import('../global.js');
      const { print, printJson } = await import('../output.js');
      const { UsageError } = await import('../../errors.js');
      const { parseMessageNumber } = await import('../../em/messages.js');
      const { changeItems } = await import('../../em/items.js');
      const { userInfo } = await import('node:os');
      const items = argv.item.map((i) => {
        const text = String(i);
        if (!/^\d{1,15}$/.test(text)) throw new UsageError(`an item number is a whole number, got "${clean(text)}"`);
        return Number(text);
      });
      const message = parseMessageNumber(argv.message);
      const r = await withContext(argv, (ctx) => changeItems(ctx, message, items, change, userInfo().username));
      if (argv.json) return printJson(r);
      print(`${clean(r.action)}: item${r.items.length === 1 ? '' : 's'} ${r.items.join(', ')} of message ${r.message} → "${clean(r.status)}" (log ${r.log}).`);
    },
  };
}

export const emItemsCommand: CommandModule<GlobalArgs, ItemsArgs> = {
  command: 'items <message>',
  describe: 'Electronic message items (one per VAT line or RETURN file); `items exclude|restore MSG ITEM…` changes them',
  builder: (y) =>
    y
      .command(changeCommand('exclude'))
      .command(changeCommand('restore'))
      .positional('message', { type: 'string', demandOption: true, describe: 'Message number' }) as unknown as Argv<ItemsArgs>,
  handler: async (argv) => {
    const { withContext } = await import('../global.js');
    const { print, printJson, table, info } = await import('../output.js');
    const { parseMessageNumber } = await import('../../em/messages.js');
    const { itemViews } = await import('../../em/items.js');
    const message = parseMessageNumber(argv.message);
    const items = await withContext(argv, (ctx) => itemViews(ctx, message));
    if (argv.json) return printJson(items);
    if (!items.length) return info(`Message ${message} has no items. Collect data first: \`mtdvat em collect-data ${message} --file LINES.csv\`.`);
    const used = BOX_COLUMNS.filter(([, field]) => items.some((i) => i.boxes[field] !== undefined && i.boxes[field] !== ''));
    print(
      table(
        ['Item', 'Status', 'Date', 'Document', 'Account', 'Description', ...used.map(([label]) => label)],
        items.map((i) => [i.item, clean(i.status), i.itemDate ?? '', clean(i.document), clean(i.account), clean(i.description), ...used.map(([, field]) => i.boxes[field] ?? '')]),
        { align: ['right', 'left', 'left', 'left', 'left', 'left', ...used.map(() => 'right' as const)] },
      ),
    );
    const excluded = items.filter((i) => i.excluded).length;
    info(`${items.length} item${items.length === 1 ? '' : 's'}${excluded ? `, ${excluded} excluded from reporting` : ''}.`);
  },
};
