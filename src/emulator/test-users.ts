/**
 * Create Test User API (https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/api-platform-test-user/1.0): generated users can then sign in on the
 * emulated journey and use their VRN. Values are generated the way HMRC's Generator.scala does.
 */
import { randomInt } from 'node:crypto';
import { addYears, isoDate } from './dates.js';
import { type Ctx, sendJson } from './http.js';
import type { UserType } from './state.js';
import { generateVrn } from './vrn.js';

type Allowed = 'INDIVIDUAL' | 'ORGANISATION' | 'AGENT';

/** A subset of HMRC's service keys; the VAT ones are what matter here. */
export const TEST_USER_SERVICES: { key: string; name: string; allowedUserTypes: Allowed[] }[] = [
  { key: 'national-insurance', name: 'National Insurance', allowedUserTypes: ['INDIVIDUAL'] },
  { key: 'self-assessment', name: 'Self Assessment', allowedUserTypes: ['INDIVIDUAL', 'ORGANISATION'] },
  { key: 'mtd-income-tax', name: 'Making Tax Digital Income Tax', allowedUserTypes: ['INDIVIDUAL'] },
  { key: 'corporation-tax', name: 'Corporation Tax', allowedUserTypes: ['ORGANISATION'] },
  { key: 'paye-for-employers', name: 'PAYE for Employers', allowedUserTypes: ['INDIVIDUAL', 'ORGANISATION'] },
  { key: 'submit-vat-returns', name: 'Submit VAT Returns', allowedUserTypes: ['ORGANISATION'] },
  { key: 'mtd-vat', name: 'Making Tax Digital VAT', allowedUserTypes: ['INDIVIDUAL', 'ORGANISATION'] },
  { key: 'customs-services', name: 'Customs Services', allowedUserTypes: ['INDIVIDUAL', 'ORGANISATION'] },
  { key: 'agent-services', name: 'Agent Services', allowedUserTypes: ['AGENT'] },
];

const FIRST = ['Ida', 'Tom', 'Amira', 'Priya', 'Owen', 'Grace', 'Callum', 'Mei', 'Aled', 'Niamh'];
const LAST = ['Newton', 'Ashworth', 'Begum', 'Patel', 'Jones', 'Hughes', 'Fraser', 'Chen', 'Morgan', 'Byrne'];
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const pick = <T>(a: T[]): T => a[randomInt(0, a.length)];
const randomString = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[randomInt(0, alphabet.length)]).join('');
const digits = (n: number) => Array.from({ length: n }, () => String(randomInt(0, 10))).join('');

function address() {
  return { line1: `${randomInt(1, 200)} Abbey Road`, line2: 'Aberdeen', postcode: `TS${randomInt(1, 10)} ${randomInt(1, 10)}PA` };
}

/** POST /create-test-user/{organisations|individuals|agents} */
export function handleCreateTestUser(ctx: Ctx, kind: 'organisations' | 'individuals' | 'agents'): void {
  const userType: UserType = kind === 'organisations' ? 'ORGANISATION' : kind === 'individuals' ? 'INDIVIDUAL' : 'AGENT';
  let serviceNames: string[] = [];
  if (ctx.body.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ctx.body);
    } catch {
      return sendJson(ctx, 400, { code: 'INVALID_REQUEST', message: 'Invalid JSON body' });
    }
    const names = (parsed as { serviceNames?: unknown } | null)?.serviceNames;
    if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) {
      return sendJson(ctx, 400, { code: 'INVALID_REQUEST', message: 'serviceNames must be an array of strings' });
    }
    serviceNames = (names as string[] | undefined) ?? [];
  }
  for (const name of serviceNames) {
    const svc = TEST_USER_SERVICES.find((s) => s.key === name);
    if (!svc || !svc.allowedUserTypes.includes(userType)) {
      return sendJson(ctx, 400, { code: 'INVALID_REQUEST', message: `Service "${name}" is not valid for user type ${userType}` });
    }
  }

  const first = pick(FIRST);
  const last = pick(LAST);
  const userId = digits(12);
  const password = randomString(ALNUM, 12);
  const now = ctx.state.clock.now();
  const body: Record<string, unknown> = {
    userId,
    password,
    userFullName: `${first} ${last}`,
    emailAddress: `${first.toLowerCase()}.${last.toLowerCase()}@example.com`,
  };
  let vrn: string | undefined;
  let organisationName: string | undefined;
  if (userType === 'ORGANISATION') {
    organisationName = `Company ${randomString(UPPER_ALNUM, 6)}`;
    body.organisationDetails = { name: organisationName, address: address() };
  }
  if (userType !== 'AGENT') {
    body.individualDetails = {
      firstName: first,
      lastName: last,
      dateOfBirth: isoDate(Date.UTC(randomInt(1940, 2000), randomInt(0, 12), randomInt(1, 29))),
      address: address(),
    };
  }
  const vatService = serviceNames.includes('mtd-vat') || (userType === 'ORGANISATION' && serviceNames.includes('submit-vat-returns'));
  if (vatService) {
    vrn = generateVrn();
    body.vrn = vrn;
    body.vatRegistrationDate = isoDate(addYears(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate()), -randomInt(1, 21)));
  }
  if (userType === 'AGENT') body.agentServicesAccountNumber = `XARN${digits(7)}`;

  ctx.state.users.set(userId, { userId, password, vrn, organisationName, userType });
  sendJson(ctx, 201, body);
}

/** GET /create-test-user/services */
export function handleServices(ctx: Ctx): void {
  sendJson(ctx, 200, TEST_USER_SERVICES);
}
