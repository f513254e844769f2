/** A raw HTTP client for the workspace tests: node:http, so a test can send any Host, Origin or cookie. */
import { request as httpRequest } from 'node:http';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export function send(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      // An empty value means "leave this header out".
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: Object.fromEntries(Object.entries({ host: `127.0.0.1:${port}`, ...init.headers }).filter(([, v]) => v !== '')) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    if (init.body !== undefined) req.end(init.body);
    else req.end();
  });
}

/** A signed-in browser: follows the token URL once, then sends the cookie (and our Origin on POSTs). */
export class Browser {
  cookie = '';
  constructor(readonly port: number) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async signIn(url: string): Promise<Answer> {
    const u = new URL(url);
    const a = await send(this.port, u.pathname + u.search);
    const set = a.headers['set-cookie'];
    this.cookie = (Array.isArray(set) ? set[0] : (set ?? '')).split(';')[0];
    return a;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return send(this.port, path, { headers: { cookie: this.cookie, ...headers } });
  }

  /** The CSRF token from a page's forms. */
  async csrf(path = '/verify'): Promise<string> {
    const page = await this.get(path);
    const m = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!m) throw new Error(`no CSRF field on ${path}: ${page.status} ${page.text.slice(0, 200)}`);
    return m[1];
  }

  post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
    const body = new URLSearchParams(fields).toString();
    return send(this.port, path, {
      method: 'POST',
      body,
      headers: { cookie: this.cookie, origin: this.origin, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...headers },
    });
  }

  upload(path: string, fields: Record<string, string>, file: { field: string; name: string; data: Buffer }, headers: Record<string, string> = {}): Promise<Answer> {
    const boundary = `----mtdvat${Date.now()}`;
    const parts: Buffer[] = [];
    for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\nContent-Type: application/zip\r\n\r\n`));
    parts.push(file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
    const body = Buffer.concat(parts);
    return send(this.port, path, {
      method: 'POST',
      body,
      headers: { cookie: this.cookie, origin: this.origin, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length), ...headers },
    });
  }
}
