/**
 * `--redirect loopback`: a one-shot HTTP listener on the loopback interface that takes the code from
 * HMRC's redirect (checking `state`), so the token can be obtained at once without copy and paste.
 * A request with a wrong or missing state is answered 400 and ignored: a stray or forged request from
 * another local process must not abort the user's sign-in (RFC 8252 §8.9, RFC 6749 §10.12).
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

type Outcome = { code: string; state: string | null } | { error: string; description: string; state: string | null };

/**
 * Listens on the web application's loopback redirect URL when it names one (its host, port, path;
 * `[::1]` is listened on as ::1), else on 127.0.0.1, a free port, `/callback`.
 */
export async function startLoopback(registered?: string): Promise<LoopbackListener> {
  let host = '127.0.0.1';
  let port = 0;
  let path = '/callback';
  const named = registered && isLoopbackRedirect(registered) ? new URL(registered) : undefined;
  if (named) {
    // URL keeps the brackets of an IPv6 literal in hostname; listen() wants the bare address.
    host = named.hostname === 'localhost' ? '127.0.0.1' : named.hostname.replace(/^\[|\]$/g, '');
    port = named.port ? Number(named.port) : 0;
    if (named.pathname && named.pathname !== '/') path = named.pathname;
  }
  let expected: string | undefined;
  let deliver: ((o: Outcome) => void) | undefined;
  /** Callbacks that came before waitForCode knew the state (bounded: a flood cannot grow it). */
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
    if (expected !== undefined && outcome.state !== expected) {
      res
        .writeHead(400, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
        .end(page('Request ignored', 'This request does not belong to the sign-in mtdvat is waiting for (wrong or missing state). mtdvat keeps waiting.'));
      return;
    }
    const ok = 'code' in outcome && outcome.code;
    res
      .writeHead(ok ? 200 : 400, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
      .end(ok ? page('Authorisation received', 'mtdvat received the authorisation. You can close this window.') : page('Authorisation not received', 'mtdvat did not receive an authorisation code. Go back to the terminal.'));
    if (deliver) deliver(outcome);
    else if (early.length < 16) early.push(outcome);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new AuthError(`cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} for the redirect (${e.code ?? e.message})`)),
    );
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const redirectHost = named ? named.hostname : host;
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
      expected = expectedState;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          deliver = undefined;
          reject(new AuthError(`no redirect from HMRC within ${Math.round(timeoutMs / 60_000)} min: run \`mtdvat auth get-authorization-code\` again`));
        }, timeoutMs);
        timer.unref?.();
        deliver = (o) => {
          if (o.state !== expectedState) return; // answered 400 already; keep waiting
          clearTimeout(timer);
          deliver = undefined;
          if ('error' in o) {
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
        // Callbacks that arrived before the state was known: only the one with the right state counts.
        for (const o of early.splice(0)) if (deliver && o.state === expectedState) deliver(o);
      });
    },
  };
}
