import { ADDITIONAL_FIELDS, ITEM_STATUSES, ITEM_TYPES, MESSAGE_STATUSES, type ExpectedStatus } from '../mtd-expectations.js';
import { REIMPORT_FIX, fail, get, pass, quote, recordsOf, slug, warn, type Check, type VerifyInput } from './types.js';

function statusChecks(input: VerifyInput, entity: string, keyName: string, area: string, what: string, expected: ExpectedStatus[]): Check[] {
  const stored = recordsOf(input, entity);
  const missing = expected.filter((s) => !stored.has(s.name)).map((s) => s.name);
  const wrongDelete = expected.filter((s) => {
    const r = stored.get(s.name);
    return r && (r.data.ALLOWDELETE === 'Yes') !== s.allowDelete;
  });
  void keyName;
  return [
    missing.length
      ? fail(`${area}.complete`, `${what} are complete`, `${missing.length} of ${expected.length} missing: ${quote(missing)}.`, REIMPORT_FIX)
      : pass(`${area}.complete`, `${what} are complete`, `All ${expected.length} exist.`),
    wrongDelete.length
      ? warn(
          `${area}.allow-delete`,
          `"Allow delete" of ${what.toLowerCase()}`,
          wrongDelete.map((s) => `"${s.name}" should be ${s.allowDelete ? 'Yes' : 'No'}`).join('; ') + '.',
          'Correct "Allow delete" (statuses of submitted returns must not be deletable), or re-import the package.',
        )
      : pass(`${area}.allow-delete`, `"Allow delete" of ${what.toLowerCase()}`, 'As the checklist requires.'),
  ];
}

export function statusesChecks(input: VerifyInput): Check[] {
  const checks = [
    ...statusChecks(input, 'MessageStatus', 'MESSAGESTATUS', 'status.message-statuses', 'Message statuses', MESSAGE_STATUSES),
    ...statusChecks(input, 'MessageItemStatus', 'MESSAGEITEMSTATUS', 'status.item-statuses', 'Message item statuses', ITEM_STATUSES),
  ];
  const types = recordsOf(input, 'MessageItemType');
  const missingTypes = ITEM_TYPES.filter((t) => !types.has(t));
  checks.push(
    missingTypes.length
      ? fail('status.item-types.complete', 'Message item types are complete', `Missing: ${quote(missingTypes)}.`, REIMPORT_FIX)
      : pass('status.item-types.complete', 'Message item types are complete', `${quote(ITEM_TYPES)} exists.`),
  );
  return checks;
}

export function additionalFieldChecks(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  const stored = recordsOf(input, 'AdditionalField');
  const missing = ADDITIONAL_FIELDS.filter((f) => !stored.has(f.name)).map((f) => f.name);
  checks.push(
    missing.length
      ? fail('additional-field.complete', 'Additional fields are complete', `Missing: ${quote(missing)}.`, REIMPORT_FIX)
      : pass('additional-field.complete', 'Additional fields are complete', `All ${ADDITIONAL_FIELDS.length} exist.`),
  );
  for (const f of ADDITIONAL_FIELDS.filter((x) => x.hidden)) {
    const r = get(input, 'AdditionalField', f.name);
    if (!r) continue;
    const id = `additional-field.${slug(f.name)}.hidden`;
    checks.push(
      r.data.HIDDEN === 'Yes'
        ? pass(id, `"${f.name}" is hidden`, 'Hidden from users, as HMRC requires.')
        : fail(id, `"${f.name}" is hidden`, `"${f.name}" is visible to users; HMRC requires that it is never shown.`, `Set "Hidden" = Yes on the additional field "${f.name}" (or re-import the package).`),
    );
  }
  return checks;
}
