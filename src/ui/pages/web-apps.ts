/**
 * Web applications: the list, one application's fields (Client ID / Client secret only as
 * "set (encrypted)" / "not set"), the credentials form, and D365's buttons Get authorization code,
 * Obtain access token, Refresh access token with "Access token will expire in". The HMRC redirect goes
 * to auth/'s loopback listener (its own port, state-checked), never to this server; the page shows
 * the wait and the outcome. The out-of-band paste box stays, as in D365.
 */
import { getConsent, recordConsent, CONSENT_QUESTION } from '../../auth/consent.js';
import { CODE_LIFETIME_MS, isLoopbackRedirect, requestAuthorizationCode } from '../../auth/get-authorization-code.js';
import { startLoopback, type LoopbackListener } from '../../auth/loopback.js';
import { obtainAccessToken } from '../../auth/obtain-access-token.js';
import { refreshAccessToken } from '../../auth/refresh.js';
import { listWebApps, showWebApp } from '../../auth/web-app-views.js';
import { MtdvatError } from '../../errors.js';
import { formatDuration } from '../../lib/duration.js';
import { loadSchemas } from '../../schema/registry.js';
import { isLoopbackHost, loadWebApp, OOB_REDIRECT } from '../../setup/web-app.js';
import { setCredentials } from '../../setup/web-app-edits.js';
import type { PageModule } from '../app.js';

const setOrNot = (b: boolean) => (b ? 'set (encrypted)' : 'not set');
const href = (name: string) => `/web-apps/${encodeURIComponent(name)}`;
/** Rounded to the minute, as the CLI prints it: a token obtained a second ago reads as HMRC's 4 hours. */
const expiresIn = (ms: number) => `Access token will expire in ${formatDuration(Math.round(ms / 60_000) * 60_000)}`;

interface AuthJob {
  state: 'waiting' | 'oob' | 'done' | 'failed';
  authorizationUrl: string;
  redirectUri: string;
  expiresAt: string;
  message: string;
  listener?: LoopbackListener;
}

export const webAppsPage: PageModule = {
  nav: { href: '/web-apps', label: 'Web applications' },
  register(app, kit) {
    const jobs = new Map<string, AuthJob>();
    const stopListener = async (job: AuthJob | undefined) => {
      const l = job?.listener;
      if (job) job.listener = undefined;
      await l?.close();
    };
    kit.onClose(async () => {
      for (const job of jobs.values()) await stopListener(job);
    });

    app.get('/web-apps', (c) => {
      const apps = listWebApps(kit.ctx).map((a) => ({
        name: a.name,
        href: href(a.name),
        description: a.description,
        baseUrl: a.baseUrl,
        clientId: setOrNot(a.clientIdSet),
        clientSecret: setOrNot(a.clientSecretSet),
        token: a.tokenStatus ?? 'no tokens',
      }));
      return kit.page(c, 'Web applications', '/web-apps', 'web-apps', { apps });
    });

    app.get('/web-apps/:name', (c) => {
      const a = showWebApp(kit.ctx, c.req.param('name'));
      const schema = loadSchemas().byId('WebApplication');
      const set: Record<string, boolean> = { CLIENTID: a.clientIdSet, CLIENTSECRET: a.clientSecretSet, SERVERTOKEN: a.serverTokenSet };
      const fields = schema.fields.map((f) => ({ label: f.label ?? f.name, secret: !!f.secret, value: f.secret ? setOrNot(set[f.name] ?? false) : (a.fields[f.name] ?? '') }));
      let local = false;
      try {
        local = isLoopbackHost(new URL(a.baseUrl).hostname);
      } catch {
        // an invalid base URL: verify says so; the buttons then fail with the library's message
      }
      return kit.page(c, a.name, '/web-apps', 'web-app', {
        base: href(a.name),
        fields,
        hasToken: !!a.tokenExpiresAt,
        tokenState: a.tokenStatus ?? 'No access token: select Get authorization code.',
        horizon: a.refreshHorizonAt?.slice(0, 10),
        scope: a.scope,
        // The local emulator accepts any loopback redirect; HMRC only the registered one.
        loopbackDefault: isLoopbackRedirect(a.redirectUrl) || local,
      });
    });

    app.post('/web-apps/:name/credentials', (c) => {
      const name = c.req.param('name');
      const form = kit.form(c);
      return kit.act(c, href(name), async () => {
        const clientId = form.clientId ? form.clientId : undefined;
        const clientSecret = form.clientSecret ? form.clientSecret : undefined;
        const r = await setCredentials(kit.ctx, name, { clientId, clientSecret });
        kit.flash(c, 'ok', `Stored the ${r.changed.map((f) => (f === 'CLIENTID' ? 'client ID' : 'client secret')).join(' and ')} of "${r.name}" (encrypted).`);
      });
    });

    app.post('/web-apps/:name/get-authorization-code', async (c) => {
      const name = c.req.param('name');
      const form = kit.form(c);
      const redirect = form.redirect === 'oob' ? 'oob' : 'loopback';
      if (!getConsent(kit.ctx.db)) {
        if (form.consent === 'no') {
          kit.flash(c, 'error', 'System administrator consent was not given; nothing was sent to HMRC.');
          return kit.seeOther(c, href(name));
        }
        if (form.consent !== 'yes') {
          // D365's consent dialog, once: a real form, so it works without JavaScript.
          return kit.page(c, 'System administrator consent', '/web-apps', 'consent', { action: `${href(name)}/get-authorization-code`, redirect, question: CONSENT_QUESTION });
        }
        recordConsent(kit.ctx.db, kit.ctx.company, 'ui');
      }
      return kit.act(c, href(name), async () => {
        const app = loadWebApp(kit.ctx, name);
        await stopListener(jobs.get(app.name));
        if (redirect === 'oob') {
          const redirectUri = isLoopbackRedirect(app.redirectUrl) || !app.redirectUrl ? OOB_REDIRECT : app.redirectUrl;
          const req = await requestAuthorizationCode(kit.ctx, app.name, { redirectUri });
          jobs.set(app.name, { state: 'oob', authorizationUrl: req.authorizationUrl, redirectUri, expiresAt: req.expiresAt, message: '' });
          return `${href(app.name)}/authorization`;
        }
        const listener = await startLoopback(app.redirectUrl);
        let req;
        try {
          req = await requestAuthorizationCode(kit.ctx, app.name, { redirectUri: listener.redirectUri });
        } catch (e) {
          await listener.close();
          throw e;
        }
        const job: AuthJob = { state: 'waiting', authorizationUrl: req.authorizationUrl, redirectUri: listener.redirectUri, expiresAt: req.expiresAt, message: '', listener };
        jobs.set(app.name, job);
        const state = req.state;
        // The wait itself is not tracked: stopping the server closes the listener and must not wait
        // up to 10 minutes for a redirect. The token exchange, once a code came, is tracked.
        void listener
          .waitForCode(state, CODE_LIFETIME_MS)
          .then((code) => kit.track(kit.serial(() => obtainAccessToken(kit.ctx, app.name, code, { state }))))
          .then(
            (r) => Object.assign(job, { state: 'done', message: expiresIn(r.expiresInMs) }),
            (e) => Object.assign(job, { state: 'failed', message: e instanceof MtdvatError ? e.message : 'the authorization failed (see the terminal running mtdvat ui)' }),
          )
          .finally(() => stopListener(job));
        return `${href(app.name)}/authorization`;
      });
    });

    app.get('/web-apps/:name/authorization', (c) => {
      const name = c.req.param('name');
      const a = loadWebApp(kit.ctx, name);
      const job = jobs.get(a.name);
      if (!job) return kit.seeOther(c, href(a.name));
      return kit.page(
        c,
        'Get authorization code',
        '/web-apps',
        'auth-wait',
        { app: a.name, back: href(a.name), base: href(a.name), ...job, listener: undefined },
        { refresh: job.state === 'waiting' ? 3 : undefined },
      );
    });

    app.post('/web-apps/:name/obtain-access-token', (c) => {
      const name = c.req.param('name');
      const code = kit.form(c).code ?? '';
      return kit.act(c, href(name), async () => {
        const r = await obtainAccessToken(kit.ctx, name, code);
        const job = jobs.get(r.app);
        await stopListener(job);
        jobs.delete(r.app);
        kit.flash(c, 'ok', expiresIn(r.expiresInMs));
      });
    });

    app.post('/web-apps/:name/refresh-access-token', (c) => {
      const name = c.req.param('name');
      return kit.act(c, href(name), async () => {
        const r = await refreshAccessToken(kit.ctx, name);
        kit.flash(c, 'ok', expiresIn(r.expiresInMs));
      });
    });
  },
};
