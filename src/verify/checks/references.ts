import { displayKey } from '../../store/records.js';
import { REIMPORT_FIX, fail, inScope, pass, recordsOf, slug, type Check, type VerifyInput } from './types.js';

/** Every reference declared in the schemas resolves (catches dangling references from hand edits or partial imports). */
export function referenceChecks(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  for (const schema of input.schemas.all) {
    if (!schema.references.length) continue;
    const records = [...recordsOf(input, schema.id).values()].filter((r) => recordInScope(input, schema.id, r.data));
    if (!records.length) continue;
    const dangling: string[] = [];
    let count = 0;
    for (const r of records) {
      for (const ref of schema.references) {
        const values = ref.fields.map((f) => r.data[f] ?? '');
        if (values.every((v) => v === '')) continue;
        count++;
        if (!recordsOf(input, ref.entity).has(displayKey(values))) {
          dangling.push(`${displayKey(r.key)}: ${ref.fields.join('+')} "${displayKey(values)}" (no such ${input.schemas.byId(ref.entity).label.toLowerCase()})`);
        }
      }
    }
    const id = `reference.${slug(schema.id)}`;
    const title = `References from ${schema.label.toLowerCase()}`;
    checks.push(
      dangling.length
        ? fail(id, title, `${dangling.length} dangling: ${dangling.slice(0, 10).join('; ')}${dangling.length > 10 ? '; …' : ''}.`, `Create the missing records or correct the references, then re-import. ${REIMPORT_FIX}`)
        : pass(id, title, `All ${count} references resolve.`),
    );
  }
  return checks;
}

function recordInScope(input: VerifyInput, entity: string, data: Record<string, string>): boolean {
  const s = input.scope;
  switch (entity) {
    case 'MessageProcessingActionLink':
    case 'MessageProcessingAdditionalField':
      return inScope(s.processings, data.PROCESSING);
    case 'MessageProcessingAction':
    case 'MessageProcessingActionStatus':
      return inScope(s.actions, data.ACTION);
    case 'WebService':
      return inScope(s.webServices, data.WEBSERVICE);
    default:
      return true;
  }
}
