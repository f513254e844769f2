/**
 * What the Electronic messages runtime depends on, per processing, from the imported records: its
 * linked actions, their initial and result statuses (and the message and item statuses they name),
 * the web services and the executable classes they call. The import compares these before and after
 * writing, so a re-import that changes them while messages are mid-way can say so — Microsoft's FAQ
 * case of "every call returns 404 after re-importing the package" (UK MTD VAT, Frequently asked
 * questions), which a silent re-import causes.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../store/db.js';
import { listRecords } from '../store/records.js';

/** The kinds of setup the runtime depends on, as the import warning names them. */
export type DependencyKind = 'actions' | 'statuses' | 'web services' | 'executable classes';

export interface ProcessingDependencies {
  /** A digest per kind; equal digests mean nothing of that kind changed. */
  digests: Record<DependencyKind, string>;
  /**
   * Message statuses from which no linked action goes on (no action has them as an initial status):
   * a message there is finished, and a setup change cannot strand it.
   */
  finalStatuses: Set<string>;
}

const digest = (rows: unknown[]) => createHash('sha256').update(JSON.stringify(rows)).digest('hex');

/** Per processing, digests of what its runtime uses; read inside the import's transaction. */
export function processingDependencies(db: Db, company: string): Map<string, ProcessingDependencies> {
  const data = (entity: string) => listRecords(db, company, entity).map((r) => r.data);
  const actions = new Map(data('MessageProcessingAction').map((r) => [r.ACTION, r]));
  const statusRows = data('MessageProcessingActionStatus');
  const messageStatuses = new Map(data('MessageStatus').map((r) => [r.MESSAGESTATUS, r]));
  const itemStatuses = new Map(data('MessageItemStatus').map((r) => [r.MESSAGEITEMSTATUS, r]));
  const webServices = new Map(data('WebService').map((r) => [r.WEBSERVICE, r]));
  const classes = new Map(data('ExecutableClass').map((r) => [r.EXECUTABLECLASS, r]));
  const links = data('MessageProcessingActionLink');

  const out = new Map<string, ProcessingDependencies>();
  for (const p of data('MessageProcessing')) {
    const name = p.PROCESSING;
    const linked = links.filter((l) => l.PROCESSING === name).sort((a, b) => (a.ACTION < b.ACTION ? -1 : a.ACTION > b.ACTION ? 1 : 0));
    const names = new Set(linked.map((l) => l.ACTION));
    const actionRows = [...names].sort().map((a) => actions.get(a) ?? { missing: a });
    const statuses = statusRows.filter((s) => names.has(s.ACTION));
    const named = [...new Set(statuses.map((s) => s.MESSAGESTATUS).filter(Boolean))].sort();
    const namedItems = [...new Set(statuses.map((s) => s.MESSAGEITEMSTATUS).filter(Boolean))].sort();
    const services = [...new Set(actionRows.map((a) => (a as Record<string, string>).WEBSERVICE).filter(Boolean))].sort();
    const classNames = [...new Set(actionRows.map((a) => (a as Record<string, string>).EXECUTABLECLASS).filter(Boolean))].sort();
    const initial = new Set(statuses.filter((s) => s.STATUSKIND !== 'Result').map((s) => s.MESSAGESTATUS).filter(Boolean));
    out.set(name, {
      digests: {
        actions: digest([linked, actionRows]),
        statuses: digest([statuses, named.map((s) => messageStatuses.get(s) ?? { missing: s }), namedItems.map((s) => itemStatuses.get(s) ?? { missing: s })]),
        'web services': digest(services.map((s) => webServices.get(s) ?? { missing: s })),
        'executable classes': digest(classNames.map((c) => classes.get(c) ?? { missing: c })),
      },
      finalStatuses: new Set(named.filter((s) => !initial.has(s))),
    });
  }
  return out;
}

/** The kinds that differ between two readings of one processing (all kinds when it appeared or went). */
export function changedKinds(before: ProcessingDependencies | undefined, after: ProcessingDependencies | undefined): DependencyKind[] {
  const kinds: DependencyKind[] = ['actions', 'statuses', 'web services', 'executable classes'];
  if (!before || !after) return before || after ? kinds : [];
  return kinds.filter((k) => before.digests[k] !== after.digests[k]);
}
