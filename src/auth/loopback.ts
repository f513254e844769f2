/**
 * `--redirect loopback`: a one-shot HTTP listener on 127.0.0.1 that takes the code from HMRC's
 * redirect (checking `state`), so the token can be obtained at once without copy and paste.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError } from '../errors.js';
import { isLoopbackRedirect } from './get-authorization-code.js';

export interface LoopbackListener {
  redirectUri: string;
  /** Resolves with the code once a callback with the right state arrives; rejects on error/denial/timeout. */
  waitForCode(expectedState: string, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

const page = (title: string, text: string) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

/**
 * Listens on the web application's loopback redirect URL when it names one (its host, port, path),
 * else on 127.0.0.1, a free port, `/callback`.
 */
export async function startLoopback(registered?: string): Promise<LoopbackListener> {
  let host = '127.0.0.1';
  let port = 0;
  let path = '/callback';
  if (registered && isLoopbackRedirect(registered)) {
    const u = new URL(registered);
    host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname;
    port = u.port ? Number(u.port) : 0;
    if (u.pathname && u.pathname !== '/') path = u.pathname;
  }
  type Outcome = { code: string; state: string | null } | { error: string; description: string; state: string | null };
  let deliver: ((o: Outcome) => void) | undefined;
  const early: Outcome[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const q = url.searchParams;
    const outcome: Outcome = q.get('error')
      ? { error: q.get('error')!, description: q.get('error_description') ?? '', state: q.get('state') }
      : { code: q.get('code') ?? '', state: q.get('state') };
    const ok = 'code' in outcome && outcome.code;
    res
      .writeHead(ok ? 200 : 400, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
      .end(ok ? page('Authorisation received', 'mtdvat received the authorisation. You can close this window.') : page('Authorisation not received', 'mtdvat did not receive an authorisation code. Go back to the terminal.'));
    if (deliver) deliver(outcome);
    else early.push(outcome);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new AuthError(`cannot listen on ${host}:${port} for the redirect (${e.code ?? e.message})`)),
    );
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const redirectHost = registered && isLoopbackRedirect(registered) ? new URL(registered).hostname : host;
  const redirectUri = `http://${redirectHost}:${actualPort}${path}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    redirectUri,
    close,
    waitForCode(expectedState, timeoutMs) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          deliver = undefined;
          reject(new AuthError(`no redirect from HMRC within ${Math.round(timeoutMs / 60_000)} min: run \`mtdvat auth get-authorization-code\` again`));
        }, timeoutMs);
        timer.unref?.();
        deliver = (o) => {
          clearTimeout(timer);
          deliver = undefined;
          if (o.state !== expectedState) {
            reject(new AuthError('the redirect carried a wrong or missing state: ignored as a possible forgery; get a new authorization code'));
          } else if ('error' in o) {
            reject(
              new AuthError(
                o.error === 'access_denied'
                  ? 'authority was not granted at HMRC (access_denied): run get-authorization-code again and select "Grant authority"'
                  : `HMRC returned an error instead of a code (${o.error}${o.description ? `: ${o.description}` : ''})`,
              ),
            );
          } else if (!o.code) {
            reject(new AuthError('the redirect carried no authorization code'));
          } else resolve(o.code);
        };
        const first = early.shift();
        if (first) deliver(first);
      });
    },
  };
}
