/**
 * All mutable emulator state lives in one object so the routes stay plain functions and
 * `RunningSandbox` can expose clock, stats, faults and revocation without reaching into closures.
 */
import { randomBytes } from 'node:crypto';
import type { Decimal } from '../lib/decimal.js';
import type { SandboxClient, SandboxFault, SandboxPayment, SandboxTestUser } from './server.js';

export type UserType = 'ORGANISATION' | 'INDIVIDUAL' | 'AGENT';

export interface UserRecord {
  userId: string;
  password: string;
  /** Absent for agents and users created without a VAT service. */
  vrn?: string;
  organisationName?: string;
  userType: UserType;
}

export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state?: string;
  codeChallenge?: string;
}

export interface AuthSession {
  id: string;
  request: AuthorizeRequest;
  userId?: string;
  expiresAt: number;
}

export interface AuthCode {
  code: string;
  request: AuthorizeRequest;
  userId: string;
  expiresAt: number;
}

/** One user's authority for one application: the refresh chain hangs off it. */
export interface Grant {
  id: string;
  clientId: string;
  userId: string;
  scopes: string[];
  grantedAt: number;
  expiresAt: number;
  revoked: boolean;
}

export interface AccessTokenRecord {
  kind: 'user' | 'application';
  clientId: string;
  userId?: string;
  scopes: string[];
  expiresAt: number;
  grantId?: string;
}

export interface RefreshTokenRecord {
  grantId: string;
  accessToken: string;
}

export interface StoredReturn {
  periodKey: string;
  boxes: Record<string, Decimal>;
  receivedAt: number;
}

export interface FeedbackRecord {
  path: string;
  method: string;
  requestTimestamp: string;
  code: string;
  headers: unknown[];
  crossValidation: unknown[];
  connectionMethod?: string;
}

export const ACCESS_TOKEN_TTL_S = 14_400;
export const CODE_TTL_MS = 600_000;
export const SESSION_TTL_MS = 30 * 60_000;
/** Grants die 18 months after the user's authorization; refreshes do not extend them. */
export const GRANT_MONTHS = 18;

export class SandboxClock {
  private offset = 0;
  constructor(private readonly base: () => number) {}
  now(): number {
    return this.base() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  set(ms: number): void {
    this.offset = ms - this.base();
  }
}

/** Opaque 32-hex-character value, the shape HMRC uses for codes and tokens. */
export function hex32(): string {
  return randomBytes(16).toString('hex');
}

export function addMonthsUtc(ms: number, months: number): number {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

export class SandboxState {
  readonly clients = new Map<string, SandboxClient>();
  readonly users = new Map<string, UserRecord>();
  readonly sessions = new Map<string, AuthSession>();
  readonly codes = new Map<string, AuthCode>();
  readonly grants = new Map<string, Grant>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  /** key: `${vrn}|${periodKey}` */
  readonly returns = new Map<string, StoredReturn>();
  /** Configured payments (SandboxOptions.payments): HMRC's sandbox has none of its own. */
  readonly payments: SandboxPayment[] = [];
  readonly faults: SandboxFault[] = [];
  /** Real-time (not simulated) request instants per application, for the sliding 1 s window. */
  readonly rateWindows = new Map<string, number[]>();
  /** clientId → `${method} ${pathTemplate}` → last request's fraud-header feedback. */
  readonly feedback = new Map<string, Map<string, FeedbackRecord>>();
  readonly counters = { tokenRequests: 0, tokenRequestsByGrant: {} as Record<string, number>, requests: 0, throttled: 0, submitsHeld: 0, submitAttempts: 0, requestsHeld: 0 };

  constructor(
    readonly clock: SandboxClock,
    readonly rateLimitPerSecond: number,
  ) {}

  addUser(u: SandboxTestUser, userType: UserType = 'ORGANISATION'): void {
    this.users.set(u.userId, { ...u, userType });
  }

  storedReturnsFor(vrn: string): StoredReturn[] {
    const out: StoredReturn[] = [];
    for (const [key, r] of this.returns) if (key.startsWith(`${vrn}|`)) out.push(r);
    return out;
  }

  /** Removes and returns the first queued fault that matches. `status` faults count down `times`. */
  takeFault<K extends SandboxFault['kind']>(
    kind: K,
    match: (f: Extract<SandboxFault, { kind: K }>) => boolean = () => true,
  ): Extract<SandboxFault, { kind: K }> | undefined {
    const idx = this.faults.findIndex((f) => f.kind === kind && match(f as Extract<SandboxFault, { kind: K }>));
    if (idx < 0) return undefined;
    const fault: SandboxFault = this.faults[idx];
    if (fault.kind === 'status') {
      const remaining = (fault.times ?? 1) - 1;
      if (remaining > 0) {
        this.faults[idx] = { ...fault, times: remaining };
        return fault as Extract<SandboxFault, { kind: K }>;
      }
    }
    this.faults.splice(idx, 1);
    return fault as Extract<SandboxFault, { kind: K }>;
  }

  /** Drops expired codes, sessions and access tokens so a long-running `mtdvat sandbox` does not grow forever. */
  prune(): void {
    const now = this.clock.now();
    for (const [k, c] of this.codes) if (c.expiresAt <= now) this.codes.delete(k);
    for (const [k, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(k);
    for (const [k, a] of this.accessTokens) if (a.expiresAt <= now) this.accessTokens.delete(k);
  }

  /** Revokes grants (all, or one user's): their refresh tokens and access tokens stop working. */
  revokeGrants(userId?: string): void {
    const dead = new Set<string>();
    for (const g of this.grants.values()) {
      if (userId === undefined || g.userId === userId) {
        g.revoked = true;
        dead.add(g.id);
      }
    }
    for (const [t, r] of this.refreshTokens) if (dead.has(r.grantId)) this.refreshTokens.delete(t);
    for (const [t, a] of this.accessTokens) if (a.grantId && dead.has(a.grantId)) this.accessTokens.delete(t);
  }
}
