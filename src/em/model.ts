/**
 * The imported Electronic messages setup as the runtime sees it: processings with their linked actions,
 * actions with their initial and result statuses, message and item statuses, additional fields.
 * Built once per run from the stored records; pure data afterwards.
 * Vocabulary: Microsoft Learn, "Electronic messaging setup" (general-ledger/electronic-messaging-setup).
 */
import type { Db } from '../store/db.js';
import { listRecords } from '../store/records.js';

/** D365's EMResponseType symbols (as packages write them; `Successfull` is Microsoft's spelling). */
export type ResponseTypeSymbol = 'Successfull' | 'BusinessError' | 'TechnicalError' | 'UserDefined' | 'Cancel' | 'Partially';

/** The labels D365 shows in the action log. */
export const RESPONSE_TYPE_LABEL: Record<ResponseTypeSymbol, string> = {
  Successfull: 'Successfully executed',
  BusinessError: 'Business error',
  TechnicalError: 'Technical error',
  UserDefined: 'User defined',
  Cancel: 'Cancel',
  Partially: 'Partially successful',
};

export type ActionType =
  | 'CreateMessage'
  | 'PopulateRecords'
  | 'ExecutableCode'
  | 'ExecutableCodeMessageItemLevel'
  | 'GERExport'
  | 'GERExportMessage'
  | 'GERImport'
  | 'UserMessageLevel'
  | 'User'
  | 'WEBService'
  | 'ValidateSchema';

/** UI names of the action types (Microsoft Learn, electronic-messaging-setup). */
export const ACTION_TYPE_LABEL: Record<string, string> = {
  CreateMessage: 'Create message',
  PopulateRecords: 'Populate records',
  ExecutableCode: 'Message execution level',
  ExecutableCodeMessageItemLevel: 'Message item execution level',
  GERExport: 'Electronic reporting export',
  GERExportMessage: 'Electronic reporting export message',
  GERImport: 'Electronic reporting import',
  UserMessageLevel: 'Message level user processing',
  User: 'User processing',
  WEBService: 'Web service',
  ValidateSchema: 'Request verification',
};

/** One initial or result status of an action: a message status or a message item status. */
export interface StatusRef {
  messageStatus: string;
  itemStatus: string;
  /** Result statuses only. */
  responseType?: ResponseTypeSymbol;
}

export interface ActionDef {
  name: string;
  description: string;
  type: ActionType | string;
  formatMapping: string;
  executableClass: string;
  webService: string;
  populateAction: string;
  itemType: string;
  fileName: string;
  fileNameToProcess: string;
  confirmationText: string;
  initial: StatusRef[];
  results: StatusRef[];
}

export interface LinkDef {
  action: string;
  lineNum: number;
  runSeparately: boolean;
  inseparableSequence: string;
}

export interface ProcessingDef {
  name: string;
  description: string;
  /** Linked actions in line order. */
  links: LinkDef[];
  /** Message additional fields of the processing with their default values. */
  fields: Record<string, string>;
}

export interface MessageStatusDef {
  name: string;
  description: string;
  itemStatus: string;
  allowDelete: boolean;
  responseType: string;
}

export interface ItemStatusDef {
  name: string;
  allowDelete: boolean;
}

export interface AdditionalFieldDef {
  name: string;
  hidden: boolean;
  userEdit: boolean;
}

export interface WebServiceDef {
  name: string;
  webApplication: string;
  internetAddress: string;
  method: string;
  accept: string;
  contentType: string;
  successCode: number;
}

export interface ExecutableClassDef {
  name: string;
  actionType: string;
}

export interface EmSetup {
  processings: Map<string, ProcessingDef>;
  actions: Map<string, ActionDef>;
  messageStatuses: Map<string, MessageStatusDef>;
  itemStatuses: Map<string, ItemStatusDef>;
  additionalFields: Map<string, AdditionalFieldDef>;
  webServices: Map<string, WebServiceDef>;
  executableClasses: Map<string, ExecutableClassDef>;
}

/** The additional field that holds HMRC's period key; HMRC requires that users never see it. */
export const PERIOD_KEY_FIELD = 'periodKey';
export const VRN_FIELD = 'Tax registration number';

export function loadEmSetup(db: Db, company: string): EmSetup {
  const recs = (entity: string) => listRecords(db, company, entity).map((r) => r.data);
  const setup: EmSetup = {
    processings: new Map(),
    actions: new Map(),
    messageStatuses: new Map(),
    itemStatuses: new Map(),
    additionalFields: new Map(),
    webServices: new Map(),
    executableClasses: new Map(),
  };
  for (const r of recs('MessageProcessing')) setup.processings.set(r.PROCESSING, { name: r.PROCESSING, description: r.DESCRIPTION ?? '', links: [], fields: {} });
  for (const r of recs('MessageProcessingAction')) {
    setup.actions.set(r.ACTION, {
      name: r.ACTION,
      description: r.DESCRIPTION ?? '',
      type: r.ACTIONTYPE ?? '',
      formatMapping: r.FORMATMAPPING ?? '',
      executableClass: r.EXECUTABLECLASS ?? '',
      webService: r.WEBSERVICE ?? '',
      populateAction: r.ACTIONPOPULATERECORD ?? '',
      itemType: r.MESSAGEITEMTYPE ?? '',
      fileName: r.FILENAME ?? '',
      fileNameToProcess: r.FILENAMETOPROCESS ?? '',
      confirmationText: r.CONFIRMATIONTEXT ?? '',
      initial: [],
      results: [],
    });
  }
  for (const r of recs('MessageProcessingActionStatus')) {
    const a = setup.actions.get(r.ACTION);
    if (!a) continue;
    const ref: StatusRef = { messageStatus: r.MESSAGESTATUS ?? '', itemStatus: r.MESSAGEITEMSTATUS ?? '' };
    if (r.STATUSKIND === 'Result') {
      if (r.RESPONSETYPE) ref.responseType = r.RESPONSETYPE as ResponseTypeSymbol;
      a.results.push(ref);
    } else a.initial.push(ref);
  }
  for (const r of recs('MessageProcessingActionLink')) {
    setup.processings.get(r.PROCESSING)?.links.push({
      action: r.ACTION,
      lineNum: Number(r.LINENUM ?? '0') || 0,
      runSeparately: r.RUNSEPARATELY !== 'No',
      inseparableSequence: r.INSEPARABLESEQUENCE ?? '',
    });
  }
  for (const p of setup.processings.values()) p.links.sort((a, b) => a.lineNum - b.lineNum);
  for (const r of recs('MessageProcessingAdditionalField')) {
    const p = setup.processings.get(r.PROCESSING);
    if (p) p.fields[r.FIELDNAME] = r.FIELDVALUE ?? '';
  }
  for (const r of recs('MessageStatus')) {
    setup.messageStatuses.set(r.MESSAGESTATUS, {
      name: r.MESSAGESTATUS,
      description: r.DESCRIPTION ?? '',
      itemStatus: r.MESSAGEITEMSTATUS ?? '',
      allowDelete: r.ALLOWDELETE === 'Yes',
      responseType: r.RESPONSETYPE ?? '',
    });
  }
  for (const r of recs('MessageItemStatus')) setup.itemStatuses.set(r.MESSAGEITEMSTATUS, { name: r.MESSAGEITEMSTATUS, allowDelete: r.ALLOWDELETE === 'Yes' });
  for (const r of recs('AdditionalField')) {
    setup.additionalFields.set(r.FIELDNAME, { name: r.FIELDNAME, hidden: r.HIDDEN === 'Yes', userEdit: r.USEREDIT === 'Yes' });
  }
  for (const r of recs('WebService')) {
    setup.webServices.set(r.WEBSERVICE, {
      name: r.WEBSERVICE,
      webApplication: r.WEBAPPLICATIONNAME ?? '',
      internetAddress: r.INTERNETADDRESS ?? '',
      method: (r.REQUESTMETHOD ?? '').toUpperCase(),
      accept: r.REQUESTACCEPT ?? '',
      contentType: r.REQUESTCONTENTTYPE ?? '',
      successCode: Number(r.SUCCESSFULRESPONSECODE ?? '0') || 0,
    });
  }
  for (const r of recs('ExecutableClass')) setup.executableClasses.set(r.EXECUTABLECLASS, { name: r.EXECUTABLECLASS, actionType: r.ACTIONTYPE ?? '' });
  return setup;
}

/** Whether a field must never be shown: Hidden in the setup, and periodKey always (HMRC's rule). */
export function isHiddenField(setup: EmSetup, field: string): boolean {
  return field === PERIOD_KEY_FIELD || setup.additionalFields.get(field)?.hidden === true;
}
