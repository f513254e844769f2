/**
 * Can each processing run in mtdvat's Electronic messages runtime (src/em/)? Its statuses exist with the
 * response types each action type needs, every error status has a way on, and every executable class,
 * ER format and web service it names is one mtdvat runs. Also: a store imported from the package before
 * Microsoft's checklist fixes is told to re-import, and the submit declaration is compared with HMRC's.
 */
import { checkRunnable } from '../../em/run.js';
import { loadEmSetup, type ActionDef, type EmSetup } from '../../em/model.js';
import { LEGAL_DECLARATION } from '../../vat/nine-box.js';
import { fail, inScope, pass, slug, warn, type Check, type VerifyInput } from './types.js';

/** Response types an action type's results must include (Microsoft Learn, electronic-messaging-setup). */
const NEEDS: Record<string, string[]> = {
  WEBService: ['Successfull', 'TechnicalError'],
  ExecutableCode: ['Successfull', 'TechnicalError'],
  GERExport: ['Successfull', 'TechnicalError'],
  GERExportMessage: ['Successfull', 'TechnicalError'],
  GERImport: ['Successfull', 'TechnicalError'],
  CreateMessage: ['Successfull'],
  UserMessageLevel: ['Successfull'],
  User: ['Successfull'],
  PopulateRecords: ['Successfull'],
};

const LABEL: Record<string, string> = { Successfull: 'Successfully executed', TechnicalError: 'Technical error' };
const REIMPORT_CURRENT = 'Re-import the current UK MTD VAT setup package: mtdvat import-package packages-data/mtd-vat.zip';

export function runnableChecks(input: VerifyInput): Check[] {
  const setup = loadEmSetup(input.ctx.db, input.company);
  const checks: Check[] = [oldPackage(setup)];
  for (const p of setup.processings.values()) {
    if (!inScope(input.scope.processings, p.name)) continue;
    const id = `runnable.${slug(p.name)}`;
    const actions = p.links.map((l) => setup.actions.get(l.action)).filter((a): a is ActionDef => !!a);

    const missing: string[] = [];
    for (const a of actions) {
      for (const s of [...a.initial, ...a.results]) {
        if (s.messageStatus && !setup.messageStatuses.has(s.messageStatus)) missing.push(`"${a.name}" names message status "${s.messageStatus}"`);
        if (s.itemStatus && !setup.itemStatuses.has(s.itemStatus)) missing.push(`"${a.name}" names message item status "${s.itemStatus}"`);
      }
    }
    const types: string[] = [];
    for (const a of actions) {
      const have = new Set(a.results.map((r) => r.responseType ?? 'Successfull'));
      const lacking = (NEEDS[a.type] ?? []).filter((t) => !have.has(t as never));
      if (lacking.length) types.push(`"${a.name}" has no ${lacking.map((t) => LABEL[t] ?? t).join(' / ')} result status`);
      if (a.type === 'PopulateRecords' && !a.initial.some((s) => s.messageStatus)) types.push(`"${a.name}" has no initial message status`);
    }
    checks.push(
      missing.length || types.length
        ? fail(`${id}.statuses`, `Statuses of "${p.name}"`, [...missing, ...types].join('; ') + '.', REIMPORT_CURRENT)
        : pass(`${id}.statuses`, `Statuses of "${p.name}"`, 'Every status exists, with the response types each action type needs.'),
    );

    // An error status a message can end in must be the initial status of some action, or it is stuck there.
    const starts = new Set(actions.flatMap((a) => a.initial.map((s) => s.messageStatus)).filter(Boolean));
    const stuck = new Set<string>();
    for (const a of actions) {
      for (const r of a.results) {
        if (r.messageStatus && r.responseType && r.responseType !== 'Successfull' && !starts.has(r.messageStatus)) stuck.add(r.messageStatus);
      }
    }
    checks.push(
      stuck.size
        ? fail(`${id}.way-on`, `Every error status of "${p.name}" has a way on`, `No action starts from ${[...stuck].map((s) => `"${s}"`).join(', ')}.`, REIMPORT_CURRENT)
        : pass(`${id}.way-on`, `Every error status of "${p.name}" has a way on`, 'An action starts from each error status.'),
    );

    const unrunnable: string[] = [];
    for (const a of actions) {
      try {
        checkRunnable(setup, a);
      } catch (error) {
        unrunnable.push((error as Error).message);
      }
    }
    checks.push(
      unrunnable.length
        ? fail(`${id}.handlers`, `mtdvat can run every action of "${p.name}"`, unrunnable.join('; ') + '.', 'Use the executable classes, ER formats and web services of the UK MTD VAT setup package (or re-import it).')
        : pass(`${id}.handlers`, `mtdvat can run every action of "${p.name}"`, 'Every executable class, format mapping and web service is one mtdvat runs.'),
    );

    for (const a of actions.filter((x) => x.confirmationText !== '')) {
      if (a.confirmationText.trim() !== LEGAL_DECLARATION) {
        checks.push(
          warn(`${id}.declaration`, `Confirmation text of "${a.name}"`, `It differs from HMRC's legal declaration; mtdvat shows HMRC's text before sending: "${LEGAL_DECLARATION}"`, `Set the confirmation text of "${a.name}" to HMRC's declaration (or re-import the package).`),
        );
      }
    }
  }
  return checks;
}

/** The package before the checklist fixes: classes of type Message execution level, populate without an initial status. */
function oldPackage(setup: EmSetup): Check {
  const signs: string[] = [];
  const oldClasses = [...setup.executableClasses.values()].filter((c) => c.actionType === 'ExecutableCode').map((c) => c.name);
  if (oldClasses.length) signs.push(`executable classes ${oldClasses.join(', ')} have type Message execution level`);
  const populate = [...setup.actions.values()].filter((a) => a.type === 'PopulateRecords' && !a.initial.length).map((a) => `"${a.name}"`);
  if (populate.length) signs.push(`${populate.join(', ')} has no initial status`);
  const title = 'Setup is from the current package';
  return signs.length
    ? fail('runnable.package-version', title, `This store was imported from an older setup package: ${signs.join('; ')}.`, REIMPORT_CURRENT)
    : pass('runnable.package-version', title, "The setup follows Microsoft's checklist.");
}
