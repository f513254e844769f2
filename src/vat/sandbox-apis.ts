/**
 * Sandbox-only HMRC APIs that need an application-restricted token (client_credentials:
 * https://developer.service.hmrc.gov.uk/api-documentation/docs/authorisation/application-restricted-endpoints): the Test Fraud Prevention Headers API (https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/txm-fph-validator-api/1.0)
 * and the Create Test User API (https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/api-platform-test-user/1.0).
 * The token lives only in memory for the command's run (HMRC issues no refresh token for it).
 */
import type { Context } from '../context.js';
import { AuthError, HmrcError } from '../errors.js';
import { hmrcErrorFrom, hmrcRequest, isOk } from '../hmrc/http.js';
import { loadClientCredentials, loadWebApp, type WebApp } from '../setup/web-app.js';
import { checkSetup, kindLabel } from './vat.js';
import { rateKey, takeRateSlot } from '../hmrc/rate-limit.js';
import { ensureFraudConsent, fraudHeadersFor, type ConsentIo } from '../hmrc/fraud-headers.js';

export async function applicationToken(ctx: Context, app: WebApp): Promise<string> {
  const creds = await loadClientCredentials(ctx, app);
  const response = await hmrcRequest(ctx, {
    app,
    method: 'POST',
    path: app.tokenPath,
    form: { grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret },
    // Issuing an application token changes nothing at HMRC: safe to retry.
    idempotent: true,
    timeoutMs: 15_000,
    auditCategory: 'auth',
    auditEvent: 'token request (client_credentials)',
    secrets: [creds.clientId, creds.clientSecret],
  });
  if (!isOk(response)) {
    const err = hmrcErrorFrom(response, 'HMRC could not issue an application token');
    if (err.code === 'invalid_client') {
      throw new AuthError(`HMRC rejected the client ID or secret of web application "${app.name}" (invalid_client)`);
    }
    throw err;
  }
  const token = (response.json as { access_token?: unknown } | undefined)?.access_token;
  if (typeof token !== 'string' || !token) throw new HmrcError('HMRC answered the client_credentials request without an access token', response.status, 'BAD_TOKEN_RESPONSE');
  return token;
}

function prepare(ctx: Context, appName: string, what: string, announce?: (l: string) => void): WebApp {
  const app = loadWebApp(ctx, appName);
  checkSetup(ctx, app, { sandboxOnly: what });
  announce?.(`→ ${kindLabel(app)} ${new URL(app.baseUrl).host} · company ${ctx.company} · app "${app.name}": ${what}`);
  return app;
}

export interface FphValidation {
  specVersion?: string;
  code: string;
  message: string;
  errors?: { code: string; message: string; headers: string[] }[];
  warnings?: { code: string; message: string; headers: string[] }[];
}

/** GET /test/fraud-prevention-headers/validate with this machine's fresh headers. */
export async function validateFraudHeadersAtHmrc(
  ctx: Context,
  appName: string,
  io: { consent: ConsentIo; announce?: (l: string) => void },
): Promise<{ result: FphValidation; sent: Record<string, string> }> {
  const app = prepare(ctx, appName, 'the Test Fraud Prevention Headers API', io.announce);
  await ensureFraudConsent(ctx, io.consent);
  const token = await applicationToken(ctx, app);
  const sent = fraudHeadersFor(ctx);
  const response = await hmrcRequest(ctx, {
    app,
    method: 'GET',
    path: '/test/fraud-prevention-headers/validate',
    headers: { Authorization: `Bearer ${token}`, ...sent },
    idempotent: true,
    auditCategory: 'hmrc',
    beforeSend: () => takeRateSlot(ctx.db, rateKey(app)),
  });
  if (!isOk(response)) throw hmrcErrorFrom(response, 'HMRC refused the fraud header validation');
  return { result: response.json as FphValidation, sent };
}

export interface TestUser {
  userId: string;
  password: string;
  vrn?: string;
  userFullName?: string;
  emailAddress?: string;
  organisationDetails?: { name?: string };
  [key: string]: unknown;
}

/** POST /create-test-user/organisations with serviceNames ["mtd-vat"]. */
export async function createOrganisationTestUser(ctx: Context, appName: string, announce?: (l: string) => void): Promise<TestUser> {
  const app = prepare(ctx, appName, 'the Create Test User API', announce);
  const token = await applicationToken(ctx, app);
  const response = await hmrcRequest(ctx, {
    app,
    method: 'POST',
    path: '/create-test-user/organisations',
    headers: { Authorization: `Bearer ${token}` },
    json: { serviceNames: ['mtd-vat'] },
    idempotent: false,
    retryUnsent: true,
    auditCategory: 'hmrc',
    beforeSend: () => takeRateSlot(ctx.db, rateKey(app)),
  });
  if (!isOk(response)) throw hmrcErrorFrom(response, 'HMRC could not create a test user');
  return response.json as TestUser;
}
