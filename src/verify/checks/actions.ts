import { ACTIONS, EXECUTABLE_CLASSES } from '../mtd-expectations.js';
import { REIMPORT_FIX, fail, get, inScope, pass, recordsOf, slug, type Check, type VerifyInput } from './types.js';

/** Which reference of an action is compared, and with which entity it must resolve. */
const REFS = [
  { key: 'webService', field: 'WEBSERVICE', entity: 'WebService', label: 'Web service' },
  { key: 'executableClass', field: 'EXECUTABLECLASS', entity: 'ExecutableClass', label: 'Executable class' },
  { key: 'itemType', field: 'MESSAGEITEMTYPE', entity: 'MessageItemType', label: 'Message item type' },
  { key: 'populateAction', field: 'ACTIONPOPULATERECORD', entity: 'PopulateRecordsAction', label: 'Populate records action' },
] as const;

export function actionChecks(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  for (const expected of ACTIONS) {
    if (!inScope(input.scope.actions, expected.name)) continue;
    const id = `action.${slug(expected.name)}`;
    const record = get(input, 'MessageProcessingAction', expected.name);
    if (!record) {
      checks.push(fail(`${id}.exists`, `Action "${expected.name}" exists`, `There is no message processing action "${expected.name}".`, REIMPORT_FIX));
      continue;
    }
    checks.push(pass(`${id}.exists`, `Action "${expected.name}" exists`, 'Found.'));
    const type = record.data.ACTIONTYPE ?? '';
    checks.push(
      expected.types.includes(type)
        ? pass(`${id}.type`, `Action type of "${expected.name}"`, `${type}.`)
        : fail(`${id}.type`, `Action type of "${expected.name}"`, `Is "${type}"; expected ${expected.types.join(' or ')}.`, `Set the action type of "${expected.name}" to ${expected.types[0]} (or re-import the package).`),
    );
    for (const ref of REFS) {
      const want = expected[ref.key];
      if (!want) continue;
      const have = record.data[ref.field] ?? '';
      const title = `${ref.label} of "${expected.name}"`;
      const rid = `${id}.${slug(ref.label)}`;
      if (have !== want) {
        checks.push(fail(rid, title, have ? `Is "${have}"; it must be "${want}".` : `Is empty; it must be "${want}".`, `Set the ${ref.label.toLowerCase()} of "${expected.name}" to "${want}" (or re-import the package).`));
      } else if (!get(input, ref.entity, have)) {
        checks.push(fail(rid, title, `"${have}" is referenced but does not exist.`, REIMPORT_FIX));
      } else {
        checks.push(pass(rid, title, `"${have}".`));
      }
    }
  }
  if (!input.scope.actions) {
    const stored = recordsOf(input, 'ExecutableClass');
    const missing = EXECUTABLE_CLASSES.filter((c) => !stored.has(c.name)).map((c) => c.name);
    checks.push(
      missing.length
        ? fail('executable-class.complete', 'Executable classes', `Missing: ${missing.join(', ')}.`, REIMPORT_FIX)
        : pass('executable-class.complete', 'Executable classes', `All ${EXECUTABLE_CLASSES.length} executable classes exist.`),
    );
  }
  return checks;
}
