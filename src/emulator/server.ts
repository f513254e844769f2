/**
 * mtdvat's local HMRC emulator: a real HTTP server on 127.0.0.1 that speaks HMRC's OAuth 2.0,
 * VAT (MTD) v1.0, Create Test User and Test Fraud Prevention Headers APIs as described in
 * HMRC's Developer Hub (https://developer.service.hmrc.gov.uk/api-documentation). Used by `mtdvat sandbox` and as the fixture for every
 * auth/VAT test (tests start it on port 0 and talk to it with real fetch).
 *
 * Route map:
 *   GET  /oauth/authorize → start page → POST /oauth/start → GET/POST /api-test-login/sign-in
 *        → GET/POST /oauth/grantscope → redirect (or oob page)          [browser journey]
 *   POST /oauth/token                                                   [3 grants]
 *   GET  /hello/{world|application|user}
 *   GET  /organisations/vat/{vrn}/{obligations|liabilities|payments}, GET …/returns/{periodKey}, POST …/returns
 *   POST /create-test-user/{organisations|individuals|agents}, GET /create-test-user/services
 *   GET  /test/fraud-prevention-headers/validate, GET /test/fraud-prevention-headers/vat-mtd/validation-feedback
 *   TEST ONLY: POST /__test/authorize, POST /__control/{clock|fault|revoke}, GET /__control/stats
 *
 * The server never logs: tokens, codes and secrets must not end up in a terminal or CI log.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_TEST_USER } from './defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../lib/emulator-defaults.js';
import { analyseFraudHeaders } from './fraud-validator.js';
import { type Ctx, header, sendEmpty, sendJson } from './http.js';
import {
  handleAuthorize,
  handleGrantDecision,
  handleGrantPage,
  handleSignIn,
  handleSignInPage,
  handleStart,
  handleTestAuthorize,
  handleToken,
} from './oauth.js';
import { notFoundRoute, platformCheck, type RouteAuth } from './platform.js';
import { type AccessTokenRecord, SandboxClock, SandboxState } from './state.js';
import { handleCreateTestUser, handleServices } from './test-users.js';
import { handleLiabilities, handleObligations, handlePayments, handleSubmitReturn, handleViewReturn } from './vat.js';
import { isoMillis } from './dates.js';
import { loadStateFile, saveStateFile, serializeState } from './persist.js';

export interface SandboxClient {
  clientId: string;
  clientSecret: string;
  applicationName?: string;
  /** Default: `urn:ietf:wg:oauth:2.0:oob`, `…:oob:auto`, and any http://127.0.0.1:* / http://localhost:* URI. */
  redirectUris?: string[];
}

export interface SandboxTestUser {
  userId: string;
  password: string;
  vrn: string;
  organisationName?: string;
}

export interface SandboxOptions {
  /** 0 = free port; default 0 (the CLI passes its own default). */
  port?: number;
  clients?: SandboxClient[];
  testUsers?: SandboxTestUser[];
  /** Injectable clock (ms since epoch); default Date.now. */
  now?: () => number;
  /** Default 3 per application (HMRC's standard limit). */
  rateLimitPerSecond?: number;
  /**
   * Keep the state in this file (see persist.ts): loaded at start when it exists, saved after every
   * request that changed it and at close. Without it (tests), the state lives in memory only.
   */
  stateFile?: string;
  /** Ignore what the state file holds and start empty (it is overwritten). */
  freshState?: boolean;
  /** Told when saving the state file fails (the emulator itself never prints). */
  onStateError?: (error: Error) => void;
  /** Payments HMRC received (none unless configured); they pay off the liabilities of filed returns. */
  payments?: SandboxPayment[];
  /**
   * Serve the TEST ONLY routes (POST /__test/authorize, /__control/*): tests turn them on; `mtdvat
   * sandbox` never does, so nothing else on the machine can skip the sign-in or move the clock.
   */
  testRoutes?: boolean;
}

export interface SandboxPayment {
  vrn: string;
  /** Pounds, at most 2 decimal places. */
  amount: number;
  /** YYYY-MM-DD */
  received: string;
}

export interface RunningSandbox {
  /** e.g. http://127.0.0.1:43121 (no trailing slash) */
  url: string;
  port: number;
  clock: { now(): number; advance(ms: number): void; set(ms: number): void };
  stats(): {
    tokenRequests: number;
    tokenRequestsByGrant: Record<string, number>;
    requests: number;
    throttled: number;
    /** Return submissions being held by a `submit-delay` fault right now. */
    submitsHeld: number;
    /** Requests being held by a `delay` fault right now. */
    requestsHeld: number;
    /** Returns stored (filed) so far, over all VRNs. */
    returnsFiled: number;
    /** Return submissions (POSTs) that reached the VAT API, stored or not: a client that never sends twice adds one per period. */
    submitAttempts: number;
  };
  /** Queue a one-shot fault. */
  injectFault(f: SandboxFault): void;
  addTestUser(u: SandboxTestUser): void;
  revokeGrants(userId?: string): void;
  close(): Promise<void>;
}

export type SandboxFault =
  | { kind: 'submit-500-after-store' }
  | { kind: 'submit-timeout-after-store'; delayMs: number }
  /**
   * Holds the next return submission for `delayMs` before it is stored (default) or after it is stored
   * and before the answer, so a test can kill the client while its POST is in flight. The emulator
   * finishes the request either way, as HMRC would once the body has arrived.
   */
  | { kind: 'submit-delay'; delayMs: number; stage?: 'before-store' | 'after-store' }
  /** Holds the next request whose path starts with `pathPrefix` (and has `method`, if given) before it is handled. */
  | { kind: 'delay'; pathPrefix: string; method?: string; delayMs: number }
  | { kind: 'token-error'; status: number; body: unknown }
  | { kind: 'status'; path: string; status: number; body?: unknown; times?: number };

interface ApiRoute {
  method: string;
  pattern: RegExp;
  /** Path template, the key validation-feedback groups by. */
  template: string;
  auth: RouteAuth;
  /** Record fraud-prevention headers for validation-feedback (VAT routes). */
  feedback?: boolean;
  handle(ctx: Ctx, token: AccessTokenRecord, m: RegExpExecArray): void | Promise<void>;
}

const VRN_SEG = '([^/]+)';
const API_ROUTES: ApiRoute[] = [
  {
    method: 'GET',
    pattern: /^\/hello\/world$/,
    template: '/hello/world',
    auth: { access: 'open' },
    handle: (ctx) => sendJson(ctx, 200, { message: 'Hello World' }),
  },
  {
    method: 'GET',
    pattern: /^\/hello\/application$/,
    template: '/hello/application',
    auth: { access: 'application' },
    handle: (ctx) => sendJson(ctx, 200, { message: 'Hello Application' }),
  },
  {
    // No scope required here on purpose: any user token (e.g. a VAT one) can smoke-test itself.
    method: 'GET',
    pattern: /^\/hello\/user$/,
    template: '/hello/user',
    auth: { access: 'user' },
    handle: (ctx) => sendJson(ctx, 200, { message: 'Hello User' }),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/organisations/vat/${VRN_SEG}/obligations$`),
    template: '/organisations/vat/{vrn}/obligations',
    auth: { access: 'user', scope: 'read:vat' },
    feedback: true,
    handle: (ctx, t, m) => handleObligations(ctx, t, m[1]),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/organisations/vat/${VRN_SEG}/returns$`),
    template: '/organisations/vat/{vrn}/returns',
    auth: { access: 'user', scope: 'write:vat' },
    feedback: true,
    handle: (ctx, t, m) => handleSubmitReturn(ctx, t, m[1]),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/organisations/vat/${VRN_SEG}/returns/([^/]+)$`),
    template: '/organisations/vat/{vrn}/returns/{periodKey}',
    auth: { access: 'user', scope: 'read:vat' },
    feedback: true,
    handle: (ctx, t, m) => handleViewReturn(ctx, t, m[1], m[2]),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/organisations/vat/${VRN_SEG}/liabilities$`),
    template: '/organisations/vat/{vrn}/liabilities',
    auth: { access: 'user', scope: 'read:vat' },
    feedback: true,
    handle: (ctx, t, m) => handleLiabilities(ctx, t, m[1]),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/organisations/vat/${VRN_SEG}/payments$`),
    template: '/organisations/vat/{vrn}/payments',
    auth: { access: 'user', scope: 'read:vat' },
    feedback: true,
    handle: (ctx, t, m) => handlePayments(ctx, t, m[1]),
  },
  {
    method: 'POST',
    pattern: /^\/create-test-user\/(organisations|individuals|agents)$/,
    template: '/create-test-user/{type}',
    auth: { access: 'application' },
    handle: (ctx, _t, m) => handleCreateTestUser(ctx, m[1] as 'organisations' | 'individuals' | 'agents'),
  },
  {
    method: 'GET',
    pattern: /^\/create-test-user\/services$/,
    template: '/create-test-user/services',
    auth: { access: 'application' },
    handle: (ctx) => handleServices(ctx),
  },
  {
    method: 'GET',
    pattern: /^\/test\/fraud-prevention-headers\/validate$/,
    template: '/test/fraud-prevention-headers/validate',
    auth: { access: 'application' },
    handle: (ctx) => sendJson(ctx, 200, analyseFraudHeaders(ctx.req.headers).result),
  },
  {
    method: 'GET',
    pattern: /^\/test\/fraud-prevention-headers\/([^/]+)\/validation-feedback$/,
    template: '/test/fraud-prevention-headers/{api}/validation-feedback',
    auth: { access: 'application' },
    handle: (ctx, token, m) => {
      if (m[1] !== 'vat-mtd') return notFoundRoute(ctx);
      const wanted = ctx.url.searchParams.get('connectionMethod');
      const records = [...(ctx.state.feedback.get(token.clientId)?.values() ?? [])]
        .filter((r) => !wanted || r.connectionMethod === wanted)
        .map(({ connectionMethod: _cm, ...r }) => r);
      sendJson(ctx, 200, { requests: records });
    },
  },
];

/** Browser/OAuth routes: no platform layer (they are on HMRC's www host and /oauth/token). */
const PLAIN_ROUTES: Record<string, (ctx: Ctx) => void> = {
  'GET /oauth/authorize': handleAuthorize,
  'POST /oauth/start': handleStart,
  'GET /api-test-login/sign-in': handleSignInPage,
  'POST /api-test-login/sign-in': handleSignIn,
  'GET /oauth/grantscope': handleGrantPage,
  'POST /oauth/grantscope': handleGrantDecision,
  'POST /oauth/token': handleToken,
  'POST /__test/authorize': handleTestAuthorize,
};

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isLoopback(req: IncomingMessage): boolean {
  const a = req.socket.remoteAddress ?? '';
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1';
}

function parseFault(v: unknown): SandboxFault | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const f = v as Record<string, unknown>;
  switch (f.kind) {
    case 'submit-500-after-store':
      return { kind: f.kind };
    case 'submit-timeout-after-store':
      return typeof f.delayMs === 'number' ? { kind: f.kind, delayMs: f.delayMs } : undefined;
    case 'delay':
      return typeof f.pathPrefix === 'string' && f.pathPrefix.startsWith('/') && typeof f.delayMs === 'number' && f.delayMs >= 0 && f.delayMs <= 600_000 && (f.method === undefined || typeof f.method === 'string')
        ? { kind: f.kind, pathPrefix: f.pathPrefix, delayMs: f.delayMs, ...(typeof f.method === 'string' ? { method: f.method.toUpperCase() } : {}) }
        : undefined;
    case 'submit-delay':
      return typeof f.delayMs === 'number' && f.delayMs >= 0 && f.delayMs <= 600_000 && (f.stage === undefined || f.stage === 'before-store' || f.stage === 'after-store')
        ? { kind: f.kind, delayMs: f.delayMs, stage: f.stage }
        : undefined;
    case 'token-error':
      return typeof f.status === 'number' ? { kind: f.kind, status: f.status, body: f.body } : undefined;
    case 'status':
      return typeof f.path === 'string' && typeof f.status === 'number'
        ? { kind: f.kind, path: f.path, status: f.status, body: f.body, times: typeof f.times === 'number' ? f.times : undefined }
        : undefined;
  }
  return undefined;
}

/**
 * TEST ONLY control surface, so a separate process (the CLI under test) can be driven:
 * POST /__control/clock {"advanceMs":n}|{"setMs":n}, POST /__control/fault {SandboxFault} (e.g.
 * {"kind":"submit-delay","delayMs":n,"stage":"before-store"|"after-store"} for kill tests),
 * GET /__control/stats, POST /__control/revoke {"userId"?}. Loopback callers only.
 */
function handleControl(ctx: Ctx, api: RunningSandbox): void {
  if (!isLoopback(ctx.req)) return sendJson(ctx, 403, { code: 'FORBIDDEN', message: 'control API is loopback-only' });
  let body: Record<string, unknown> = {};
  if (ctx.body.trim()) {
    try {
      body = JSON.parse(ctx.body) as Record<string, unknown>;
    } catch {
      return sendJson(ctx, 400, { code: 'INVALID_REQUEST', message: 'body must be JSON' });
    }
  }
  const route = `${ctx.method} ${ctx.path}`;
  if (route === 'GET /__control/stats') return sendJson(ctx, 200, api.stats());
  if (route === 'POST /__control/clock') {
    if (typeof body.advanceMs === 'number') api.clock.advance(body.advanceMs);
    else if (typeof body.setMs === 'number') api.clock.set(body.setMs);
    else return sendJson(ctx, 400, { code: 'INVALID_REQUEST', message: 'give advanceMs or setMs (numbers)' });
    return sendJson(ctx, 200, { now: api.clock.now() });
  }
  if (route === 'POST /__control/fault') {
    const fault = parseFault(body);
    if (!fault) return sendJson(ctx, 400, { code: 'INVALID_REQUEST', message: 'unknown or malformed fault' });
    api.injectFault(fault);
    return sendJson(ctx, 200, { queued: fault.kind });
  }
  if (route === 'POST /__control/revoke') {
    api.revokeGrants(typeof body.userId === 'string' ? body.userId : undefined);
    return sendJson(ctx, 200, { revoked: true });
  }
  notFoundRoute(ctx);
}

/**
 * The emulator answers only requests addressed to itself: a Host header naming another host is a DNS
 * rebinding attempt, and an Origin of another site is a cross-site request from a web page (which must
 * not drive the sign-in or the control routes). Browsers send no Origin on a plain navigation; the
 * emulator's own forms send its origin.
 */
function foreignRequest(ctx: Ctx, port: number): string | undefined {
  const own = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const host = (header(ctx, 'host') ?? '').toLowerCase();
  if (!own.has(host)) return `Host ${JSON.stringify(host)} is not this emulator`;
  const origin = header(ctx, 'origin');
  if (origin !== undefined && !own.has(origin.toLowerCase().replace(/^http:\/\//, '')) ) return `Origin ${JSON.stringify(origin)} is not this emulator`;
  return undefined;
}

async function dispatch(ctx: Ctx, api: RunningSandbox, testRoutes: boolean): Promise<void> {
  const state = ctx.state;
  const foreign = foreignRequest(ctx, api.port);
  if (foreign) return sendJson(ctx, 403, { code: 'FORBIDDEN', message: `${foreign}: request refused` });
  if (ctx.path.startsWith('/__control/') || ctx.path.startsWith('/__test/')) {
    if (!testRoutes) return notFoundRoute(ctx);
    if (ctx.path.startsWith('/__control/')) return handleControl(ctx, api);
  }
  state.counters.requests++;

  const delay = state.takeFault('delay', (f) => ctx.path.startsWith(f.pathPrefix) && (f.method === undefined || f.method === ctx.method));
  if (delay) {
    state.counters.requestsHeld++;
    try {
      await new Promise((resolve) => setTimeout(resolve, delay.delayMs).unref());
    } finally {
      state.counters.requestsHeld--;
    }
  }

  const statusFault = state.takeFault('status', (f) => f.path === ctx.path || f.path === ctx.path + ctx.url.search);
  if (statusFault) {
    if (statusFault.body === undefined) return sendEmpty(ctx, statusFault.status);
    return sendJson(ctx, statusFault.status, statusFault.body);
  }

  const plain = PLAIN_ROUTES[`${ctx.method} ${ctx.path}`];
  if (plain) return plain(ctx);

  for (const route of API_ROUTES) {
    if (route.method !== ctx.method) continue;
    const m = route.pattern.exec(ctx.path);
    if (!m) continue;
    const token = platformCheck(ctx, route.auth);
    if (token === undefined) return;
    if (route.feedback && token) recordFeedback(ctx, token.clientId, route.template);
    // Open routes pass a null token; their handlers never read it.
    return route.handle(ctx, token as AccessTokenRecord, m);
  }
  notFoundRoute(ctx);
}

/** Keeps the last request per (method, path template) per application, for validation-feedback. */
function recordFeedback(ctx: Ctx, clientId: string, template: string): void {
  const a = analyseFraudHeaders(ctx.req.headers);
  let perApp = ctx.state.feedback.get(clientId);
  if (!perApp) ctx.state.feedback.set(clientId, (perApp = new Map()));
  perApp.set(`${ctx.method} ${template}`, {
    path: ctx.path,
    method: ctx.method,
    requestTimestamp: isoMillis(ctx.state.clock.now()),
    code: a.requestCode,
    headers: a.headers,
    crossValidation: a.crossValidation,
    connectionMethod: a.connectionMethod,
  });
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const clock = new SandboxClock(opts.now ?? Date.now);
  const state = new SandboxState(clock, opts.rateLimitPerSecond ?? 3);
  for (const c of opts.clients ?? [DEFAULT_SANDBOX_CLIENT]) state.clients.set(c.clientId, c);
  for (const u of opts.testUsers ?? [DEFAULT_TEST_USER]) state.addUser(u);
  state.payments.push(...(opts.payments ?? []));
  const stateFile = opts.stateFile;
  let saved = '';
  const save = () => {
    if (!stateFile) return;
    const now = serializeState(state);
    if (now === saved) return;
    try {
      saveStateFile(stateFile, now);
      saved = now;
    } catch (error) {
      opts.onStateError?.(error as Error);
    }
  };

  // `api` is assigned before the server can receive a request.
  let api!: RunningSandbox;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Every response carries a correlation id, like HMRC's (X-CorrelationId: https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/vat-api/1.0).
    res.setHeader('X-CorrelationId', randomUUID());
    res.setHeader('X-Content-Type-Options', 'nosniff');
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const ctx: Ctx = { req, res, url, method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, body: '', state };
      try {
        const body = await readBody(req);
        if (body === undefined) return sendJson(ctx, 413, { code: 'REQUEST_TOO_LARGE', message: 'Request body too large' });
        ctx.body = body;
        await dispatch(ctx, api, opts.testRoutes === true);
        save();
      } catch {
        if (!res.headersSent) sendJson(ctx, 500, { code: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred' });
        else res.destroy();
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Only once the port is ours: a second emulator on a busy port must not touch the first one's file.
  // (Synchronous, so no request is served before the state is in place.)
  if (stateFile) {
    try {
      if (!opts.freshState) loadStateFile(stateFile, state);
      saved = serializeState(state);
      saveStateFile(stateFile, saved); // fail now, not at the first sign-in, when the file cannot be written
    } catch (error) {
      server.close();
      throw error;
    }
  }

  api = {
    url: `http://127.0.0.1:${port}`,
    port,
    clock: {
      now: () => clock.now(),
      advance: (ms) => clock.advance(ms),
      set: (ms) => clock.set(ms),
    },
    stats: () => ({
      tokenRequests: state.counters.tokenRequests,
      tokenRequestsByGrant: { ...state.counters.tokenRequestsByGrant },
      requests: state.counters.requests,
      throttled: state.counters.throttled,
      submitsHeld: state.counters.submitsHeld,
      requestsHeld: state.counters.requestsHeld,
      returnsFiled: state.returns.size,
      submitAttempts: state.counters.submitAttempts,
    }),
    injectFault: (f) => {
      state.faults.push(f);
    },
    addTestUser: (u) => state.addUser(u),
    revokeGrants: (userId) => state.revokeGrants(userId),
    close: () =>
      new Promise<void>((resolve, reject) => {
        save();
        server.close((e) => (e ? reject(e) : resolve()));
        // Keep-alive sockets (fetch keeps them) would hold close() open.
        server.closeAllConnections();
      }),
  };
  return api;
}
