import { PROCESSINGS, type ExpectedProcessing } from '../mtd-expectations.js';
import type { StoredRecord } from '../../store/records.js';
import { REIMPORT_FIX, fail, inScope, pass, quote, recordsOf, slug, type Check, type VerifyInput } from './types.js';

/** The links (processing actions) of one processing, by action name. */
export function linksOf(input: VerifyInput, processing: string): Map<string, StoredRecord> {
  const out = new Map<string, StoredRecord>();
  for (const r of recordsOf(input, 'MessageProcessingActionLink').values()) {
    if (r.data.PROCESSING === processing) out.set(r.data.ACTION, r);
  }
  return out;
}

export function processingChecks(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  const stored = recordsOf(input, 'MessageProcessing');
  for (const expected of PROCESSINGS) {
    if (!inScope(input.scope.processings, expected.name)) continue;
    const id = `processing.${slug(expected.name)}`;
    if (!stored.has(expected.name)) {
      checks.push(fail(`${id}.exists`, `Processing "${expected.name}" exists`, `There is no electronic message processing "${expected.name}".`, REIMPORT_FIX));
      continue;
    }
    checks.push(pass(`${id}.exists`, `Processing "${expected.name}" exists`, `Found (${expected.kind}).`));
    checks.push(...linkChecks(input, id, expected));
  }
  return checks;
}

function linkChecks(input: VerifyInput, id: string, expected: ExpectedProcessing): Check[] {
  const links = linksOf(input, expected.name);
  const checks: Check[] = [];
  const missing = expected.links.filter((l) => !links.has(l.action)).map((l) => l.action);
  checks.push(
    missing.length
      ? fail(`${id}.actions`, `Actions of "${expected.name}"`, `${missing.length} of ${expected.links.length} actions are not linked: ${quote(missing)}.`, REIMPORT_FIX)
      : pass(`${id}.actions`, `Actions of "${expected.name}"`, `All ${expected.links.length} actions are linked.`),
  );

  const wrongRun = expected.links.filter((l) => {
    const r = links.get(l.action);
    return r && (r.data.RUNSEPARATELY === 'Yes') !== l.runSeparately;
  });
  checks.push(
    wrongRun.length
      ? fail(
          `${id}.run-separately`,
          `"Run separately" in "${expected.name}"`,
          wrongRun.map((l) => `"${l.action}" must be ${l.runSeparately ? 'Yes' : 'No'}`).join('; ') + '.',
          `Correct "Run separately" on those processing actions (or re-import the package). Actions that must follow another one in an inseparable sequence cannot run on their own.`,
        )
      : pass(`${id}.run-separately`, `"Run separately" in "${expected.name}"`, 'As the checklist requires.'),
  );

  // Compare the grouping, not the names: which actions must run together, in which order.
  const problems: string[] = [];
  const groups = new Map<string, string[]>();
  for (const l of expected.links) if (l.sequence) groups.set(l.sequence, [...(groups.get(l.sequence) ?? []), l.action]);
  for (const members of groups.values()) {
    const present = members.filter((a) => links.has(a));
    const seqs = new Set(present.map((a) => links.get(a)!.data.INSEPARABLESEQUENCE ?? ''));
    if (seqs.has('') || seqs.size > 1) problems.push(`${quote(present)} must share one inseparable sequence`);
    const lines = present.map((a) => Number(links.get(a)!.data.LINENUM ?? ''));
    if (lines.every((n) => Number.isFinite(n) && n > 0) && lines.some((n, i) => i > 0 && n <= lines[i - 1])) {
      problems.push(`${quote(present)} must run in that order`);
    }
  }
  for (const l of expected.links) {
    const seq = links.get(l.action)?.data.INSEPARABLESEQUENCE ?? '';
    if (!l.sequence && seq) problems.push(`"${l.action}" must not be in an inseparable sequence (it is in "${seq}")`);
  }
  checks.push(
    problems.length
      ? fail(`${id}.inseparable-sequences`, `Inseparable sequences in "${expected.name}"`, problems.join('; ') + '.', 'Put the retrieve/import and submit/import-response actions into their inseparable sequences (or re-import the package); otherwise HMRC responses are never imported.')
      : pass(`${id}.inseparable-sequences`, `Inseparable sequences in "${expected.name}"`, `${groups.size} sequences as the checklist requires.`),
  );
  return checks;
}
