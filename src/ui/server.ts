/**
 * `mtdvat ui`'s server: the workspace on 127.0.0.1 only, with a per-run session token. Printing the
 * address, opening the browser and handling signals are the CLI's (src/cli/commands/ui.ts).
 */
import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Context } from '../context.js';
import { MtdvatError } from '../errors.js';
import { createUiApp, type PageModule } from './app.js';
import { LOOPBACK, SessionKeys } from './security.js';
import { defaultModules } from './pages/index.js';

/** The documented default port: next to the local HMRC emulator's 9797. */
export const DEFAULT_UI_PORT = 9798;

export interface UiOptions {
  /** TCP port on 127.0.0.1 (0 = a free one). */
  port?: number;
  /** Diagnostics (never a secret): the CLI writes them to stderr. */
  log?: (line: string) => void;
  modules?: PageModule[];
}

export interface RunningUi {
  /** The address with this run's session token: `http://127.0.0.1:PORT/?token=…`. */
  url: string;
  origin: string;
  port: number;
  close(): Promise<void>;
}

export async function startUi(ctx: Context, options: UiOptions = {}): Promise<RunningUi> {
  const keys = new SessionKeys(options.port ?? DEFAULT_UI_PORT);
  const { app, pending, closers } = createUiApp(ctx, keys, options.modules ?? defaultModules(), { log: options.log });
  const server = await new Promise<Server>((resolve, reject) => {
    // overrideGlobalObjects: false — the HMRC client's own fetch must keep Node's Request/Response.
    const s = serve({ fetch: app.fetch, port: keys.port, hostname: LOOPBACK, overrideGlobalObjects: false }) as Server;
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new MtdvatError(`port ${keys.port} on ${LOOPBACK} is already in use; choose another with --port`));
      else if (e.code === 'EACCES') reject(new MtdvatError(`not allowed to listen on port ${keys.port}; choose a port above 1023 with --port`));
      else reject(e);
    });
    s.once('listening', () => resolve(s));
  });
  keys.port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `${keys.origin}/?token=${keys.token}`,
    origin: keys.origin,
    port: keys.port,
    close() {
      closed ??= (async () => {
        // No new connections; idle keep-alive ones go now.
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections?.();
        // Work already started (a send with retries) finishes, so the message lock is released properly.
        await Promise.allSettled([...pending]);
        for (const fn of closers) await fn();
        server.closeAllConnections?.();
        await stopped;
      })();
      return closed;
    },
  };
}

/**
 * Hands the session URL to a browser without putting the token in the opener's argv (visible to
 * every local user in `ps`): a 0600 page in the home that forwards to it. The caller opens the file's
 * path and deletes it with the returned function once the browser had time to read it.
 */
export function writeLaunchFile(home: string, url: string): { path: string; remove(): void } {
  const dir = join(home, 'tmp');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `ui-launch-${randomBytes(8).toString('hex')}.html`);
  const safe = url.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  writeFileSync(
    path,
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${safe}"><title>mtdvat</title></head><body><p><a href="${safe}">Open the mtdvat workspace</a></p></body></html>\n`,
    { flag: 'wx', mode: 0o600 },
  );
  return { path, remove: () => rmSync(path, { force: true }) };
}
