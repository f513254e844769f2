/**
 * What a complete UK MTD VAT Electronic-messages setup contains, as data (from Microsoft's
 * checklist: https://learn.microsoft.com/en-us/dynamics365/finance/localizations/united-kingdom/emea-gbr-mtd-vat-integration-em-setup-checklist). `mtdvat verify` compares the stored setup with this; nothing about the
 * expected setup lives in the check code itself.
 */
import { DEFAULT_ACCEPT as HMRC_ACCEPT, DEFAULT_CONTENT_TYPE as HMRC_CONTENT_TYPE } from '../setup/web-app.js';

export type AppKind = 'production' | 'sandbox';

export interface ExpectedWebApp {
  name: string;
  kind: AppKind;
  /** Host the base URL must point at (the sandbox app may also point at a loopback emulator). */
  host: string;
  /** Non-secret fields with the values HMRC requires (field name → value). */
  fields: Record<string, string>;
  /** ER configurations by name, first = preferred (FAQ item 26: wrong versions hide the authorization dialog). */
  erMappings: Record<string, string[]>;
}

export interface ExpectedWebService {
  name: string;
  webApp: string;
  method: string;
  successCode: string;
  fields: Record<string, string>;
}

export interface ExpectedAction {
  name: string;
  /** Accepted action types (symbols). The first is what the package ships. */
  types: string[];
  executableClass?: string;
  webService?: string;
  itemType?: string;
  populateAction?: string;
}

export interface ExpectedLink {
  action: string;
  runSeparately: boolean;
  /** Actions with the same group letter must share one inseparable sequence; none = no sequence. */
  sequence?: string;
}

export interface ExpectedProcessing {
  name: string;
  kind: AppKind;
  links: ExpectedLink[];
}

export interface ExpectedStatus {
  name: string;
  allowDelete: boolean;
}

export interface ExpectedAdditionalField {
  name: string;
  hidden: boolean;
}

export interface ExpectedExecutableClass {
  name: string;
  actionType: string;
}

// HMRC's values, defined once with the client that sends them.
export { OOB_REDIRECT, DEFAULT_ACCEPT as HMRC_ACCEPT, DEFAULT_CONTENT_TYPE as HMRC_CONTENT_TYPE } from '../setup/web-app.js';
/** The authority a user grants lasts 18 months from the grant (https://developer.service.hmrc.gov.uk/api-documentation/docs/authorisation/user-restricted-endpoints). */
export const REFRESH_HORIZON_WARN_DAYS = 30;
/** Access tokens last 4 h; below this the token is "expiring soon". */
export const ACCESS_EXPIRING_SOON_MS = 10 * 60_000;

const webAppFields = {
  AUTHORIZATIONURLPATH: '/oauth/authorize',
  TOKENURLPATH: '/oauth/token',
  ACCEPT: HMRC_ACCEPT,
  CONTENTTYPE: HMRC_CONTENT_TYPE,
};
const erMappings = {
  AUTHORIZATIONFORMATMAPPING: ['MTD VAT authorization format (UK)'],
  // The checklist also lists it as "MTD VAT token response format to model mapping".
  IMPORTTOKENMODELMAPPING: ['MTD VAT import token format (UK)', 'MTD VAT token response format to model mapping'],
};

export const WEB_APPS: ExpectedWebApp[] = [
  { name: 'Dynamics 365 Finance', kind: 'production', host: 'api.service.hmrc.gov.uk', fields: webAppFields, erMappings },
  { name: 'Sandbox HMRC', kind: 'sandbox', host: 'test-api.service.hmrc.gov.uk', fields: webAppFields, erMappings },
];

const serviceFields = { REQUESTACCEPT: HMRC_ACCEPT, REQUESTCONTENTTYPE: HMRC_CONTENT_TYPE, REQUESTTYPEXML: 'No' };

export const WEB_SERVICES: ExpectedWebService[] = [
  { name: 'HMRC GET', webApp: 'Dynamics 365 Finance', method: 'GET', successCode: '200', fields: serviceFields },
  { name: 'HMRC POST', webApp: 'Dynamics 365 Finance', method: 'POST', successCode: '201', fields: serviceFields },
  { name: 'HMRC sandbox GET', webApp: 'Sandbox HMRC', method: 'GET', successCode: '200', fields: serviceFields },
  { name: 'HMRC sandbox POST', webApp: 'Sandbox HMRC', method: 'POST', successCode: '201', fields: serviceFields },
];

/** Web-service calls: "Message execution level" actions; before the security feature they may be Web service actions. */
const CALL = ['ExecutableCode', 'WEBService'];

export const ACTIONS: ExpectedAction[] = [
  { name: 'Create VAT obligation request', types: ['CreateMessage'] },
  { name: 'Retrieve VAT obligations', types: CALL, executableClass: 'RetrieveVATObligations', webService: 'HMRC GET' },
  { name: 'Test retrieves VAT obligations', types: CALL, executableClass: 'TestRetrieveVATObligations', webService: 'HMRC sandbox GET' },
  { name: 'Import VAT obligations', types: ['GERImport'] },
  { name: 'Populate VAT return records', types: ['PopulateRecords'], populateAction: 'Populate VAT return records' },
  { name: 'Exclude from reporting', types: ['User'] },
  { name: 'Update to initial status', types: ['User'] },
  { name: 'Ready to generate VAT return', types: ['UserMessageLevel'] },
  { name: 'Update to initial status VAT return', types: ['UserMessageLevel'] },
  { name: 'Preview VAT return', types: ['GERExportMessage'] },
  { name: 'Generate file for submission', types: ['GERExportMessage'] },
  { name: 'Submit VAT return', types: CALL, executableClass: 'SubmitVATReturn', webService: 'HMRC POST', itemType: 'VAT return' },
  { name: 'Test submits VAT return', types: CALL, executableClass: 'TestSubmitVATReturn', webService: 'HMRC sandbox POST', itemType: 'VAT return' },
  { name: 'Import response for VAT return', types: ['GERImport'] },
  { name: 'Create VAT liabilities request', types: ['CreateMessage'] },
  { name: 'Request VAT liabilities', types: CALL, executableClass: 'RequestVATLiabilities', webService: 'HMRC GET' },
  { name: 'Create VAT payments request', types: ['CreateMessage'] },
  { name: 'Request VAT payments', types: CALL, executableClass: 'RequestVATPayments', webService: 'HMRC GET' },
  // mtdvat's extension (not in Microsoft's package): the TEST processing requests liabilities and payments too.
  { name: 'Test requests VAT liabilities', types: CALL, executableClass: 'TestRequestVATLiabilities', webService: 'HMRC sandbox GET' },
  { name: 'Test requests VAT payments', types: CALL, executableClass: 'TestRequestVATPayments', webService: 'HMRC sandbox GET' },
];

function links(retrieve: string, submit: string, extra: ExpectedLink[]): ExpectedLink[] {
  return [
    { action: 'Create VAT obligation request', runSeparately: true },
    { action: retrieve, runSeparately: true, sequence: 'obligation' },
    { action: 'Import VAT obligations', runSeparately: false, sequence: 'obligation' },
    { action: 'Populate VAT return records', runSeparately: true },
    { action: 'Exclude from reporting', runSeparately: true },
    { action: 'Update to initial status', runSeparately: true },
    { action: 'Ready to generate VAT return', runSeparately: true },
    { action: 'Update to initial status VAT return', runSeparately: true },
    { action: 'Preview VAT return', runSeparately: true },
    { action: 'Generate file for submission', runSeparately: true },
    { action: submit, runSeparately: true, sequence: 'submission' },
    { action: 'Import response for VAT return', runSeparately: false, sequence: 'submission' },
    ...extra,
  ];
}

export const PROCESSINGS: ExpectedProcessing[] = [
  {
    name: 'UK MTD VAT TEST',
    kind: 'sandbox',
    // Lines 13–16 are mtdvat's extension, so the sandbox and the emulator can exercise liabilities and payments.
    links: links('Test retrieves VAT obligations', 'Test submits VAT return', [
      { action: 'Create VAT liabilities request', runSeparately: true },
      { action: 'Test requests VAT liabilities', runSeparately: true },
      { action: 'Create VAT payments request', runSeparately: true },
      { action: 'Test requests VAT payments', runSeparately: true },
    ]),
  },
  {
    name: 'UK MTD VAT returns',
    kind: 'production',
    links: links('Retrieve VAT obligations', 'Submit VAT return', [
      { action: 'Create VAT liabilities request', runSeparately: true },
      { action: 'Request VAT liabilities', runSeparately: true },
      { action: 'Create VAT payments request', runSeparately: true },
      { action: 'Request VAT payments', runSeparately: true },
    ]),
  },
];

export const ITEM_TYPES = ['VAT return'];

export const ITEM_STATUSES: ExpectedStatus[] = [
  { name: 'Populated', allowDelete: true },
  { name: 'Excluded', allowDelete: true },
  { name: 'To be reported', allowDelete: false },
  { name: 'Reported', allowDelete: false },
  { name: 'Sent', allowDelete: false },
  { name: 'Submitted', allowDelete: false },
];

export const MESSAGE_STATUSES: ExpectedStatus[] = [
  { name: 'New obligation request', allowDelete: true },
  { name: 'Retrieved VAT obligation', allowDelete: true },
  { name: 'Error VAT obligations retrieving', allowDelete: true },
  { name: 'Completed VAT obligations request', allowDelete: true },
  { name: 'Error VAT obligations importing', allowDelete: true },
  { name: 'New VAT return', allowDelete: true },
  { name: 'Ready to generate VAT return', allowDelete: true },
  { name: 'Generated VAT return', allowDelete: false },
  { name: 'Error VAT return generation', allowDelete: true },
  { name: 'Sent VAT return', allowDelete: false },
  { name: 'Error VAT return submission', allowDelete: true },
  { name: 'Completed VAT return', allowDelete: false },
  { name: 'Error VAT return import response', allowDelete: true },
  { name: 'New liabilities request', allowDelete: true },
  { name: 'Error VAT liabilities request', allowDelete: true },
  { name: 'Completed VAT liabilities request', allowDelete: true },
  { name: 'New payments request', allowDelete: true },
  { name: 'Error VAT payments request', allowDelete: true },
  { name: 'Completed VAT payments request', allowDelete: true },
];

export const ADDITIONAL_FIELDS: ExpectedAdditionalField[] = [
  { name: 'Due date', hidden: false },
  { name: 'HMRC status', hidden: false },
  // HMRC requires the period key never be shown to the user.
  { name: 'periodKey', hidden: true },
  { name: 'Processing date', hidden: false },
  { name: 'Received date', hidden: false },
  { name: 'Tax registration number', hidden: false },
];

/** The additional field that carries the VRN per processing (falls back to the legal entity's VAT ID). */
export const VRN_FIELD = 'Tax registration number';

export const EXECUTABLE_CLASSES: ExpectedExecutableClass[] = [
  // FAQ ("404"): after the security feature the classes have action type Web service, while the actions
  // that use them stay Message execution level.
  { name: 'RetrieveVATObligations', actionType: 'WEBService' },
  { name: 'TestRetrieveVATObligations', actionType: 'WEBService' },
  { name: 'SubmitVATReturn', actionType: 'WEBService' },
  { name: 'TestSubmitVATReturn', actionType: 'WEBService' },
  { name: 'RequestVATLiabilities', actionType: 'WEBService' },
  { name: 'RequestVATPayments', actionType: 'WEBService' },
  { name: 'TestRequestVATLiabilities', actionType: 'WEBService' },
  { name: 'TestRequestVATPayments', actionType: 'WEBService' },
];

export const POPULATE_ACTION = {
  name: 'Populate VAT return records',
  dataSource: {
    NAME: 'VAT payment',
    MESSAGEITEMTYPE: 'VAT return',
    ACCOUNTTYPE: 'All',
    MASTERTABLENAME: 'TaxReportVoucher',
    DOCUMENTNUMBERFIELD: 'Voucher',
    DOCUMENTDATEFIELD: 'TransDate',
    DOCUMENTACCOUNTFIELD: 'TaxPeriod',
    USERQUERY: 'Yes',
  } as Record<string, string>,
};

