/**
 * The workspace's Hono application: the security gate every request passes (security.ts), the page
 * frame, flashes for post-redirect-get, and the page modules. No rule, check or HMRC call lives here:
 * each page calls the same library function the CLI command of that name calls.
 */
import { Hono, type Context as HonoContext } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Context } from '../context.js';
import { MtdvatError, NotFoundError, UsageError, ValidationError } from '../errors.js';
import { checkCsrf, checkHost, checkSameOrigin, SECURITY_HEADERS, type SessionKeys } from './security.js';
import { STYLESHEET, Views, type Flash, type NavItem } from './views.js';

export type UiEnv = { Variables: { session: string; csrf: string; form?: Record<string, string> } };
export type Hc = HonoContext<UiEnv>;

/** Most bytes of a urlencoded form (uploads are multipart and have their own limits). */
const MAX_FORM_BYTES = 1024 * 1024;

export interface UiKit {
  ctx: Context;
  keys: SessionKeys;
  views: Views;
  nav: NavItem[];
  /** Renders a page in the frame (navigation, flashes of this session, the CSRF token). */
  page(c: Hc, title: string, current: string, template: string, data: object, options?: { status?: number; refresh?: number; refreshUrl?: string }): Response;
  flash(c: Hc, kind: Flash['kind'], text: string): void;
  /** 303 See Other: the browser follows it with a GET (post-redirect-get). */
  seeOther(c: Hc, location: string): Response;
  /** The urlencoded form of this POST (already parsed and CSRF-checked by the gate). */
  form(c: Hc): Record<string, string>;
  /** Runs a form action; a failure the user can act on becomes a flash on the page it came from. */
  act(c: Hc, back: string, fn: () => Promise<string | void> | string | void): Promise<Response>;
  /**
   * Runs fn after every other state-changing work of this server has finished. The server has one
   * store connection, and library calls (a token refresh, an import) hold a transaction on it across
   * awaits: work that writes must not interleave with them. Every POST runs under it, and so do the
   * runs a POST starts in the background.
   */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs fn alone: requests arriving meanwhile wait (an import holds one transaction across awaits). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Long-running work the server waits for when it closes. */
  track<T>(work: Promise<T>): Promise<T>;
  log(line: string): void;
  /** Called when the server closes (loopback listeners, spooled uploads). */
  onClose(fn: () => Promise<void> | void): void;
}

export interface PageModule {
  nav?: NavItem;
  register(app: Hono<UiEnv>, kit: UiKit): void;
}

export interface AppOptions {
  log?: (line: string) => void;
}

export function createUiApp(ctx: Context, keys: SessionKeys, modules: PageModule[], options: AppOptions = {}): { app: Hono<UiEnv>; kit: UiKit; pending: Set<Promise<unknown>>; closers: (() => Promise<void> | void)[] } {
  const views = new Views();
  const flashes = new Map<string, Flash[]>();
  const pending = new Set<Promise<unknown>>();
  const nav = modules.flatMap((m) => (m.nav ? [m.nav] : []));
  const app = new Hono<UiEnv>();
  const log = options.log ?? (() => {});
  const closers: (() => Promise<void> | void)[] = [];
  let quiet: Promise<unknown> = Promise.resolve();
  let writes: Promise<unknown> = Promise.resolve();

  const kit: UiKit = {
    ctx,
    keys,
    views,
    nav,
    page(c, title, current, template, data, opts = {}) {
      const session = c.get('session');
      const own = flashes.get(session) ?? [];
      flashes.delete(session);
      const html = views.page({ title, nav, current, company: ctx.company, flashes: own, csrf: c.get('csrf'), refresh: opts.refresh, refreshUrl: opts.refreshUrl }, template, { ...data, nav });
      return c.html(html, (opts.status ?? 200) as 200);
    },
    flash(c, kind, text) {
      const session = c.get('session');
      const list = flashes.get(session) ?? [];
      list.push({ kind, text });
      flashes.set(session, list.slice(-10));
    },
    seeOther(c, location) {
      return c.redirect(location, 303);
    },
    form(c) {
      return c.get('form') ?? {};
    },
    async act(c, back, fn) {
      try {
        const next = await fn();
        return kit.seeOther(c, next ?? back);
      } catch (e) {
        if (e instanceof MtdvatError) {
          kit.flash(c, 'error', e.message);
          return kit.seeOther(c, back);
        }
        throw e;
      }
    },
    serial(fn) {
      const run = writes.then(fn);
      writes = run.catch(() => {});
      return run;
    },
    exclusive(fn) {
      const run = quiet.then(fn);
      quiet = run.catch(() => {});
      return run;
    },
    track(work) {
      pending.add(work);
      work.finally(() => pending.delete(work)).catch(() => {});
      return work;
    },
    log,
    onClose(fn) {
      closers.push(fn);
    },
  };

  // Every answer: strict CSP and friends.
  app.use('*', async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  });

  // The gate: Host, then session, then (for POST) origin and CSRF token.
  app.use('*', async (c, next) => {
    const host = checkHost(keys, c.req.header('host'));
    if (!host.ok) return c.text(host.reason, host.status);
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return c.text('method not allowed', 405, { Allow: 'GET, POST' });
    let session = getCookie(c, keys.cookieName);
    if (!keys.isSession(session)) {
      const token = c.req.query('token');
      if (method === 'GET' && token !== undefined && keys.isToken(token)) {
        session = keys.newSession();
        setCookie(c, keys.cookieName, session, { httpOnly: true, sameSite: 'Strict', path: '/' });
        // Drop the token from the address bar (and from history) at once.
        const url = new URL(c.req.url);
        url.searchParams.delete('token');
        return c.redirect(url.pathname + url.search, 303);
      }
      return c.html(Views.unauthorizedPage(), 401);
    }
    await quiet;
    c.set('session', session!);
    c.set('csrf', keys.csrfFor(session!));
    if (method === 'POST') {
      const origin = checkSameOrigin(keys, { origin: c.req.header('origin'), referer: c.req.header('referer'), fetchSite: c.req.header('sec-fetch-site') });
      if (!origin.ok) return c.text(origin.reason, origin.status);
      const type = c.req.header('content-type') ?? '';
      if (/^application\/x-www-form-urlencoded/i.test(type)) {
        const length = Number(c.req.header('content-length') ?? 'NaN');
        if (!(length <= MAX_FORM_BYTES)) return c.text('the form is too large (or sent without a length)', 413);
        const body = new URLSearchParams(await c.req.text());
        const form: Record<string, string> = {};
        for (const [k, v] of body) form[k] = v;
        const csrf = checkCsrf(keys, session!, form._csrf);
        if (!csrf.ok) return c.text(csrf.reason, csrf.status);
        c.set('form', form);
      } else if (!/^multipart\/form-data/i.test(type)) {
        // Multipart uploads check the token themselves before the file is written (uploads.ts).
        return c.text('refused: a form post was expected', 403);
      }
      await kit.serial(() => next());
      return;
    }
    await next();
  });

  app.get('/static/ui.css', (c) => c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  app.get('/', (c) => kit.page(c, 'Workspace', '/', 'home', {}));
  for (const m of modules) m.register(app, kit);

  app.notFound((c) => (c.get('session') ? kit.page(c, 'Not found', '', 'error', { message: 'There is no such page.', back: '/' }, { status: 404 }) : c.text('not found', 404)));
  app.onError((error, c) => {
    if (error instanceof MtdvatError && c.get('session')) {
      const status = error instanceof NotFoundError ? 404 : error instanceof UsageError || error instanceof ValidationError ? 400 : 409;
      return kit.page(c, 'Could not be done', '', 'error', { message: error.message, back: '/' }, { status });
    }
    log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    return c.text('internal error (see the terminal running mtdvat ui)', 500);
  });
  return { app, kit, pending, closers };
}
