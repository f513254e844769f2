import { shellQuote } from '../../lib/shell-quote.js';
import { lookAlikeKeys, displayKey } from '../../store/records.js';
import { fail, pass, slug, type Check, type VerifyInput } from './types.js';

/**
 * Records whose keys D365 would take as one ("Sandbox HMRC" / "sandbox hmrc "), left in a store from
 * before mtdvat compared keys as D365 does. They are reported, never merged: which one is right is
 * the user's call.
 */
export function lookAlikeKeyChecks(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  let groups = 0;
  for (const schema of input.schemas.all) {
    for (const group of lookAlikeKeys(input.ctx.db, input.company, schema.id)) {
      groups++;
      const names = group.map((k) => `"${displayKey(k)}"`);
      checks.push(
        fail(
          `setup.look-alike-keys.${slug(schema.id)}.${groups}`,
          `One record per key in ${schema.label}`,
          `${names.join(' and ')} are one key to D365 (keys ignore case, trailing spaces and Unicode normal form), but the store holds ${group.length} records; mtdvat uses ${names[0]}.`,
          `Keep one: correct the package and re-import it with mtdvat import-package FILE --truncate ${shellQuote(schema.label)} (nothing is merged automatically).`,
        ),
      );
    }
  }
  if (!groups) checks.push(pass('setup.look-alike-keys', 'One record per key', 'No two records have keys that D365 would take as one.'));
  return checks;
}
