/** Request context and response helpers shared by every route module. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringifyExact } from '../lib/exact-json.js';
import type { SandboxState } from './state.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  path: string;
  body: string;
  state: SandboxState;
}

export function header(ctx: Ctx, name: string): string | undefined {
  const v = ctx.req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

const NO_CACHE = 'no-cache,no-store,max-age=0';

export function sendJson(ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = stringifyExact(body);
  ctx.res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': NO_CACHE,
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  ctx.res.end(text);
}

/** 404/204-style answer with no body and no Content-Type (what View Return sends for "not found"). */
export function sendEmpty(ctx: Ctx, status: number, headers: Record<string, string> = {}): void {
  ctx.res.writeHead(status, { 'Cache-Control': NO_CACHE, 'Content-Length': 0, ...headers });
  ctx.res.end();
}

export function sendHtml(ctx: Ctx, status: number, html: string): void {
  ctx.res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': NO_CACHE,
    'Content-Length': Buffer.byteLength(html),
  });
  ctx.res.end(html);
}

export function redirect(ctx: Ctx, location: string, status = 302): void {
  ctx.res.writeHead(status, { Location: location, 'Cache-Control': NO_CACHE, 'Content-Length': 0 });
  ctx.res.end();
}

/** Reads form-encoded or JSON bodies into a flat string map (HTML forms and `/__test/authorize`). */
export function formFields(ctx: Ctx): Record<string, string> {
  const ct = (header(ctx, 'content-type') ?? '').toLowerCase();
  if (ct.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(ctx.body || '{}');
      const out: Record<string, string> = {};
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [k, v] of Object.entries(parsed)) if (v !== undefined && v !== null) out[k] = String(v);
      }
      return out;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(ctx.body));
}
