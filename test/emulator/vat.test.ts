import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/emulator/server.js';
import { api, start, USER, userTokens } from './helpers.js';

let sb: RunningSandbox;
let access: string;
const VRN = USER.vrn;
// 2025-08-15: quarters 24A3..25A3 exist; 25A2 (Apr–Jun 2025) has ended.
const NOW = Date.UTC(2025, 7, 15, 12, 0, 0);

beforeAll(async () => {
  sb = await start({ now: () => NOW });
});
beforeEach(async () => {
  access = (await userTokens(sb)).access_token;
});
afterAll(async () => {
  await sb.close();
});

const boxes = {
  vatDueSales: '100.00',
  vatDueAcquisitions: '0.00',
  totalVatDue: '100.00',
  vatReclaimedCurrPeriod: '40.50',
  netVatDue: '59.50',
  totalValueSalesExVAT: '500',
  totalValuePurchasesExVAT: '200',
  totalValueGoodsSuppliedExVAT: '0',
  totalAcquisitionsExVAT: '0',
};

/** Builds the body as raw text, so the test controls the decimal scale exactly. */
function rawBody(periodKey: string, override: Record<string, string> = {}, finalised = 'true'): string {
  const merged = { ...boxes, ...override };
  const parts = [`"periodKey":${JSON.stringify(periodKey)}`, ...Object.entries(merged).map(([k, v]) => `"${k}":${v}`), `"finalised":${finalised}`];
  return `{${parts.join(',')}}`;
}

function submit(body: string, headers: Record<string, string> = {}, vrn = VRN): Promise<Response> {
  return api(sb, `/organisations/vat/${vrn}/returns`, access, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
}

describe('submit return', () => {
  it('201 with receipt headers and body; view returns what was stored; second submit is DUPLICATE_SUBMISSION', async () => {
    const res = await submit(rawBody('25A1'));
    expect(res.status).toBe(201);
    expect(res.headers.get('receipt-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('receipt-timestamp')).toBe('2025-08-15T12:00:00Z');
    expect(res.headers.get('x-correlationid')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as Record<string, string>;
    expect(body.processingDate).toBe('2025-08-15T12:00:00.000Z');
    expect(body.formBundleNumber).toMatch(/^\d{12}$/);
    expect(body.paymentIndicator).toBe('DD');
    expect(body.chargeRefNumber).toMatch(/^[A-Za-z0-9]{1,16}$/);

    const view = await api(sb, `/organisations/vat/${VRN}/returns/25A1`, access);
    expect(view.status).toBe(200);
    expect(await view.text()).toBe(
      '{"periodKey":"25A1","vatDueSales":100.00,"vatDueAcquisitions":0.00,"totalVatDue":100.00,"vatReclaimedCurrPeriod":40.50,' +
        '"netVatDue":59.50,"totalValueSalesExVAT":500,"totalValuePurchasesExVAT":200,"totalValueGoodsSuppliedExVAT":0,"totalAcquisitionsExVAT":0}',
    );

    const dup = await submit(rawBody('25A1'));
    expect(dup.status).toBe(403);
    expect(await dup.json()).toEqual({
      code: 'BUSINESS_ERROR',
      message: 'Business validation error',
      errors: [{ code: 'DUPLICATE_SUBMISSION', message: 'The VAT return was already submitted for the given period.' }],
    });
  });

  it('2 dp rule runs over the raw text: 1.000 fails, 1.00 passes', async () => {
    const bad = await submit(rawBody('24A1', { vatDueSales: '1.000', totalVatDue: '1.00', vatReclaimedCurrPeriod: '0', netVatDue: '1.00' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      code: 'INVALID_REQUEST',
      message: 'Invalid request',
      errors: [
        {
          code: 'INVALID_MONETARY_AMOUNT',
          message: 'amount should be a monetary value (to 2 decimal places), between -9,999,999,999,999.99 and 9,999,999,999,999.99',
          path: '/vatDueSales',
        },
      ],
    });
    const ok = await submit(rawBody('24A1', { vatDueSales: '1.00', totalVatDue: '1.00', vatReclaimedCurrPeriod: '0', netVatDue: '1.00' }));
    expect(ok.status).toBe(201);
  });

  const fieldCases: [string, string, { code: string; path: string }[]][] = [
    ['box 6 not whole', rawBody('24B1', { totalValueSalesExVAT: '500.5' }), [{ code: 'INVALID_MONETARY_AMOUNT', path: '/totalValueSalesExVAT' }]],
    ['box 5 negative', rawBody('24B1', { netVatDue: '-59.50' }), [{ code: 'INVALID_MONETARY_AMOUNT', path: '/netVatDue' }]],
    ['string in box 1', rawBody('24B1', { vatDueSales: '"100.00"' }), [{ code: 'INVALID_NUMERIC_VALUE', path: '/vatDueSales' }]],
    ['bad period key', rawBody('24b1'), [{ code: 'PERIOD_KEY_INVALID', path: '/periodKey' }]],
    ['finalised not boolean', rawBody('24B1', {}, '"yes"'), [{ code: 'UNMAPPED_PLAY_ERROR', path: '/finalised' }]],
    ['missing field', '{"periodKey":"24B1"}', [
      { code: 'MANDATORY_FIELD_MISSING', path: '/vatDueSales' },
      { code: 'MANDATORY_FIELD_MISSING', path: '/vatDueAcquisitions' },
      { code: 'MANDATORY_FIELD_MISSING', path: '/totalVatDue' },
      { code: 'MANDATORY_FIELD_MISSING', path: '/vatReclaimedCurrPeriod' },
      { code: 'MANDATORY_FIELD_MISSING', path: '/netVatDue' },
      { code: 'MANDATORY_FIELD_MISSING', path: '/totalValueSalesExVAT' },
      { code: 'MANDATORY_FIELD_MISSING', path: '/totalValuePurchasesExVAT' },
      { code: 'MANDATORY_FIELD_MISSING', path: '/totalValueGoodsSuppliedExVAT' },
      { code: 'MANDATORY_FIELD_MISSING', path: '/totalAcquisitionsExVAT' },
      { code: 'MANDATORY_FIELD_MISSING', path: '/finalised' },
    ]],
    ['box 3 ≠ box 1 + box 2', rawBody('24B1', { vatDueAcquisitions: '0.01' }), [{ code: 'VAT_TOTAL_VALUE', path: '/totalVatDue' }]],
    ['box 5 ≠ |box 3 − box 4|', rawBody('24B1', { netVatDue: '59.49' }), [{ code: 'VAT_NET_VALUE', path: '/netVatDue' }]],
  ];
  it.each(fieldCases)('400 INVALID_REQUEST: %s', async (_n, body, expected) => {
    const res = await submit(body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { code: string; errors: { code: string; path: string }[] };
    expect(json.code).toBe('INVALID_REQUEST');
    expect(json.errors.map(({ code, path }) => ({ code, path }))).toEqual(expected);
  });

  it('arithmetic is exact decimal: 0.10 + 0.20 = 0.30, and a repayment (box 4 > box 3) is fine', async () => {
    const res = await submit(
      rawBody('24C1', { vatDueSales: '0.10', vatDueAcquisitions: '0.20', totalVatDue: '0.30', vatReclaimedCurrPeriod: '1000', netVatDue: '999.70' }),
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, string>;
    expect(body.paymentIndicator).toBe('BANK');
    expect(body.chargeRefNumber).toBeUndefined();
  });

  it('finalised=false → 403 NOT_FINALISED', async () => {
    const res = await submit(rawBody('24C2', {}, 'false'));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      code: 'BUSINESS_ERROR',
      message: 'Business validation error',
      errors: [{ code: 'NOT_FINALISED', message: 'The return cannot be accepted without a declaration it is finalised.', path: '/finalised' }],
    });
  });

  it('malformed JSON → legacy Invalid Json; wrong content type → 415', async () => {
    const bad = await submit('{"periodKey":');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ statusCode: 400, message: 'Invalid Json' });
    expect((await submit(rawBody('24C3'), { 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it('VRN format first, then enrolment', async () => {
    const fmt = await submit(rawBody('24C4'), {}, '12345');
    expect(fmt.status).toBe(400);
    expect(await fmt.json()).toEqual({ code: 'VRN_INVALID', message: 'The provided VRN is invalid' });
    const other = await submit(rawBody('24C4'), {}, '123456789');
    expect(other.status).toBe(403);
    expect(await other.json()).toEqual({ code: 'CLIENT_OR_AGENT_NOT_AUTHORISED', message: 'The client and/or agent is not authorised.' });
  });

  it('500-after-store fault: 500 now, then the retry sees DUPLICATE_SUBMISSION and view finds it', async () => {
    sb.injectFault({ kind: 'submit-500-after-store' });
    const first = await submit(rawBody('24D1'));
    expect(first.status).toBe(500);
    expect(await first.json()).toEqual({ code: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred' });
    const retry = await submit(rawBody('24D1'));
    expect(retry.status).toBe(403);
    expect((await api(sb, `/organisations/vat/${VRN}/returns/24D1`, access)).status).toBe(200);
  });

  it('timeout-after-store fault stores the return and answers late', async () => {
    sb.injectFault({ kind: 'submit-timeout-after-store', delayMs: 50 });
    const res = await submit(rawBody('24D2'));
    expect(res.status).toBe(504);
    expect((await api(sb, `/organisations/vat/${VRN}/returns/24D2`, access)).status).toBe(200);
  });

  /** Waits until the emulator holds a submission (the POST is in flight). */
  async function untilHeld(): Promise<void> {
    for (let i = 0; i < 200 && sb.stats().submitsHeld === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sb.stats().submitsHeld).toBe(1);
  }
  const view = async (key: string) => (await api(sb, `/organisations/vat/${VRN}/returns/${key}`, access)).status;

  it('submit-delay (set over HTTP) holds the next submit before storing it, and files it even when the client is gone', async () => {
    const ctl = await fetch(`${sb.url}/__control/fault`, { method: 'POST', body: JSON.stringify({ kind: 'submit-delay', delayMs: 400 }) });
    expect(ctl.status).toBe(200);
    const filedBefore = sb.stats().returnsFiled;
    const abort = new AbortController();
    const pending = api(sb, `/organisations/vat/${VRN}/returns`, access, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: rawBody('24D3'),
      signal: abort.signal,
    }).catch((e: Error) => e);
    await untilHeld();
    expect(await view('24D3')).toBe(404); // held before the store: not filed yet
    abort.abort(); // the client dies mid-POST
    expect(await pending).toBeInstanceOf(Error);
    for (let i = 0; i < 100 && sb.stats().submitsHeld > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sb.stats().submitsHeld).toBe(0);
    expect(await view('24D3')).toBe(200);
    expect(sb.stats().returnsFiled).toBe(filedBefore + 1);
    // One-shot: the next submit is not held.
    expect((await submit(rawBody('24D4'))).status).toBe(201);
  });

  it('submit-delay after-store: filed while the answer is held, then answered 201', async () => {
    sb.injectFault({ kind: 'submit-delay', delayMs: 300, stage: 'after-store' });
    const pending = submit(rawBody('24D5'));
    await untilHeld();
    expect(await view('24D5')).toBe(200);
    expect((await pending).status).toBe(201);
  });

  it('submit-delay refuses malformed controls', async () => {
    for (const body of [{ kind: 'submit-delay' }, { kind: 'submit-delay', delayMs: -1 }, { kind: 'submit-delay', delayMs: 10, stage: 'later' }]) {
      expect((await fetch(`${sb.url}/__control/fault`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(400);
    }
  });

  it.each([
    ['TAX_PERIOD_NOT_ENDED', 403, 'TAX_PERIOD_NOT_ENDED'],
    ['INSOLVENT_TRADER', 403, 'RULE_INSOLVENT_TRADER'],
    ['INVALID_PAYLOAD', 400, 'INVALID_REQUEST'],
    ['NO_SUCH_SCENARIO', 400, 'RULE_INCORRECT_GOV_TEST_SCENARIO'],
  ])('Gov-Test-Scenario %s', async (scenario, status, code) => {
    const res = await submit(rawBody('24E1'), { 'Gov-Test-Scenario': scenario });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { code: string }).code).toBe(code);
  });
});

describe('view return', () => {
  it('never-submitted period → 404 with an empty body', async () => {
    const res = await api(sb, `/organisations/vat/${VRN}/returns/19A1`, access);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
    expect(res.headers.get('content-type')).toBeNull();
  });
  it('bad period key → INVALID_REQUEST envelope; # keys are percent-encoded', async () => {
    const res = await api(sb, `/organisations/vat/${VRN}/returns/abc`, access);
    expect(await res.json()).toEqual({
      code: 'INVALID_REQUEST',
      message: 'Invalid request',
      errors: [{ code: 'PERIOD_KEY_INVALID', message: 'Invalid period key' }],
    });
    expect((await submit(rawBody('#001'))).status).toBe(201);
    expect((await api(sb, `/organisations/vat/${VRN}/returns/%23001`, access)).status).toBe(200);
  });
});

describe('obligations', () => {
  type Ob = { periodKey: string; start: string; end: string; due: string; status: string; received?: string };
  const get = (query: string, headers: Record<string, string> = {}) =>
    api(sb, `/organisations/vat/${VRN}/obligations${query}`, access, { headers });

  it('a year of quarters; a stored return makes its period fulfilled', async () => {
    const res = await get('?from=2024-07-01&to=2025-06-30');
    expect(res.status).toBe(200);
    const { obligations } = (await res.json()) as { obligations: Ob[] };
    expect(obligations.map((o) => o.periodKey)).toEqual(['24A3', '24A4', '25A1', '25A2']);
    expect(obligations[2]).toEqual({
      periodKey: '25A1',
      start: '2025-01-01',
      end: '2025-03-31',
      due: '2025-05-07',
      status: 'F',
      received: '2025-08-15',
    });
    expect(obligations[3]).toEqual({ periodKey: '25A2', start: '2025-04-01', end: '2025-06-30', due: '2025-08-07', status: 'O' });
    const open = (await (await get('?status=O')).json()) as { obligations: Ob[] };
    expect(open.obligations.every((o) => o.status === 'O')).toBe(true);
    expect(open.obligations.map((o) => o.periodKey)).toContain('25A3');
  });

  it.each([
    ['', 'INVALID_DATE_FROM'],
    ['?status=F', 'MISSING_DATE_RANGE'],
    ['?status=X', 'INVALID_STATUS'],
    ['?from=2025-01-01', 'INVALID_DATE_TO'],
    ['?to=2025-01-01', 'INVALID_DATE_FROM'],
    ['?from=2025-02-30&to=2025-03-01', 'INVALID_DATE_FROM'],
    ['?from=2025-01-01&to=bad', 'INVALID_DATE_TO'],
    ['?from=2025-01-01&to=2025-03-01&status=', 'INVALID_STATUS'],
    ['?from=2025-01-01&to=2025-01-01', 'INVALID_DATE_RANGE'],
    ['?from=2024-01-01&to=2025-01-02', 'INVALID_DATE_RANGE'],
  ])('query %s → legacy 400 %s', async (query, message) => {
    const res = await get(query);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ statusCode: 400, message });
  });

  it('scenarios: canned data, INSOLVENT_TRADER, unknown scenario', async () => {
    const two = (await (await get('?from=2018-01-01&to=2018-12-31', { 'Gov-Test-Scenario': 'QUARTERLY_TWO_MET' })).json()) as { obligations: Ob[] };
    expect(two.obligations.map((o) => o.status)).toEqual(['F', 'F', 'O', 'O']);
    expect((await get('?status=O', { 'Gov-Test-Scenario': 'INSOLVENT_TRADER' })).status).toBe(403);
    const bad = await get('?status=O', { 'Gov-Test-Scenario': 'QUARTERLY_FIVE_MET' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: 'RULE_INCORRECT_GOV_TEST_SCENARIO', message: 'The Gov-Test-Scenario was not found' });
  });
});

describe('liabilities and payments', () => {
  it.each(['liabilities', 'payments'])('%s: 404 when the range holds nothing, data under a scenario, date rules', async (kind) => {
    const path = `/organisations/vat/${VRN}/${kind}`;
    const def = await api(sb, `${path}?from=2023-01-01&to=2023-06-30`, access);
    expect(def.status).toBe(404);
    expect(await def.json()).toEqual({ code: 'NOT_FOUND', message: 'The remote endpoint has indicated that no data can be found' });
    const scenario = kind === 'liabilities' ? 'MULTIPLE_LIABILITIES' : 'MULTIPLE_PAYMENTS';
    const data = await api(sb, `${path}?from=2017-04-05&to=2017-12-21`, access, { headers: { 'Gov-Test-Scenario': scenario } });
    expect(data.status).toBe(200);
    expect(((await data.json()) as Record<string, unknown[]>)[kind].length).toBe(3);
    const early = await api(sb, `${path}?from=2016-01-01&to=2016-06-01`, access);
    expect(await early.json()).toEqual({ statusCode: 400, message: 'DATE_FROM_INVALID' });
    const future = await api(sb, `${path}?from=2025-01-01&to=2025-12-01`, access);
    expect(await future.json()).toEqual({ statusCode: 400, message: 'DATE_TO_INVALID' });
    const long = await api(sb, `${path}?from=2023-01-01&to=2024-01-01`, access);
    expect(await long.json()).toEqual({ statusCode: 400, message: 'DATE_RANGE_INVALID' });
  });
});

describe('liabilities from the returns filed here', () => {
  it('one VAT Return Debit Charge per return with VAT due, settled oldest first by the configured payments', async () => {
    const own = await start({
      now: () => NOW,
      payments: [
        { vrn: VRN, amount: 70, received: '2025-08-01' },
        { vrn: VRN, amount: 5, received: '2025-09-01' }, // not received yet (after the emulator's today)
        { vrn: '123456782', amount: 999, received: '2025-08-01' }, // another business
      ],
    });
    try {
      const token = (await userTokens(own)).access_token;
      const post = (body: string) =>
        api(own, `/organisations/vat/${VRN}/returns`, token, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
      expect((await post(rawBody('25A1'))).status).toBe(201); // 59.50 due
      expect((await post(rawBody('25A2'))).status).toBe(201); // 59.50 due
      // A repayment return (box 4 above box 3) owes nothing.
      expect((await post(rawBody('24A4', { vatDueSales: '10.00', totalVatDue: '10.00', vatReclaimedCurrPeriod: '50.00', netVatDue: '40.00' }))).status).toBe(201);
      const r = await api(own, `/organisations/vat/${VRN}/liabilities?from=2024-09-01&to=2025-08-15`, token);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({
        liabilities: [
          { taxPeriod: { from: '2025-01-01', to: '2025-03-31' }, type: 'VAT Return Debit Charge', originalAmount: 59.5, outstandingAmount: 0, due: '2025-05-07' },
          { taxPeriod: { from: '2025-04-01', to: '2025-06-30' }, type: 'VAT Return Debit Charge', originalAmount: 59.5, outstandingAmount: 49, due: '2025-08-07' },
        ],
      });
      // The range selects by the end of the tax period.
      const first = await api(own, `/organisations/vat/${VRN}/liabilities?from=2025-01-01&to=2025-04-30`, token);
      expect(((await first.json()) as { liabilities: unknown[] }).liabilities).toHaveLength(1);
      const pay = await api(own, `/organisations/vat/${VRN}/payments?from=2024-09-01&to=2025-08-15`, token);
      expect(await pay.json()).toEqual({ payments: [{ amount: 70, received: '2025-08-01' }] });
    } finally {
      await own.close();
    }
  });
});
