/** Shared helpers for the emulator tests: real server on port 0, real fetch. */
import { createHash } from 'node:crypto';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { type RunningSandbox, type SandboxOptions, startSandbox } from '../../src/emulator/server.js';

export const CLIENT = DEFAULT_SANDBOX_CLIENT;
export const USER = DEFAULT_TEST_USER;
export const ACCEPT = 'application/vnd.hmrc.1.0+json';
export const OOB = 'urn:ietf:wg:oauth:2.0:oob';

/** Tests raise the rate limit unless they are testing it. */
export function start(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ rateLimitPerSecond: 10_000, testRoutes: true, ...opts });
}

export function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function getCode(
  sb: RunningSandbox,
  fields: Record<string, string> = {},
): Promise<string> {
  const res = await postForm(`${sb.url}/__test/authorize`, {
    client_id: CLIENT.clientId,
    userId: USER.userId,
    password: USER.password,
    scope: 'read:vat write:vat',
    ...fields,
  });
  const body = (await res.json()) as { code: string };
  if (res.status !== 200) throw new Error(`authorize failed: ${res.status} ${JSON.stringify(body)}`);
  return body.code;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
  token_type: string;
}

export async function token(sb: RunningSandbox, fields: Record<string, string>): Promise<Response> {
  return postForm(`${sb.url}/oauth/token`, { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, ...fields });
}

export async function userTokens(sb: RunningSandbox, authFields: Record<string, string> = {}): Promise<Tokens> {
  const code = await getCode(sb, authFields);
  const res = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: authFields.redirect_uri ?? OOB });
  if (res.status !== 200) throw new Error(`token failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Tokens;
}

export async function appToken(sb: RunningSandbox): Promise<string> {
  const res = await token(sb, { grant_type: 'client_credentials' });
  return ((await res.json()) as Tokens).access_token;
}

export function api(sb: RunningSandbox, path: string, accessToken: string | undefined, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: ACCEPT, ...(init.headers as Record<string, string> | undefined) };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  return fetch(`${sb.url}${path}`, { ...init, headers, redirect: 'manual' });
}

/** Extracts the hidden `session` field of the emulator's HTML forms. */
export function sessionOf(html: string): string {
  const m = /name="session" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no session field in page');
  return m[1];
}
