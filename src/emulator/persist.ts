/**
 * The emulator's state file (`mtdvat sandbox --state FILE`): the clients, test users, grants, tokens,
 * pending sign-ins and codes, and filed returns, so a restarted `mtdvat sandbox` still knows the tokens
 * mtdvat holds and the returns filed on it (a restart that forgot them would look like HMRC revoking
 * everything). Written atomically (temporary file, then rename) and private (0600): it holds the
 * emulator's own test tokens and passwords, which work against this loopback emulator and nowhere else.
 * Request counters, queued faults, rate windows and fraud-header feedback are per run and not kept.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../lib/atomic-file.js';
import { MtdvatError } from '../errors.js';
import { Decimal } from '../lib/decimal.js';
import type { SandboxState, StoredReturn } from './state.js';

const VERSION = 1;

interface StateFile {
  version: number;
  clients: [string, unknown][];
  users: [string, unknown][];
  sessions: [string, unknown][];
  codes: [string, unknown][];
  grants: [string, unknown][];
  accessTokens: [string, unknown][];
  refreshTokens: [string, unknown][];
  returns: [string, { periodKey: string; boxes: Record<string, string>; receivedAt: number }][];
}

/** The state as one JSON text (stable for an unchanged state, so a save can be skipped). */
export function serializeState(state: SandboxState): string {
  const file: StateFile = {
    version: VERSION,
    clients: [...state.clients],
    users: [...state.users],
    sessions: [...state.sessions],
    codes: [...state.codes],
    grants: [...state.grants],
    accessTokens: [...state.accessTokens],
    refreshTokens: [...state.refreshTokens],
    returns: [...state.returns].map(([key, r]) => [
      key,
      { periodKey: r.periodKey, receivedAt: r.receivedAt, boxes: Object.fromEntries(Object.entries(r.boxes).map(([f, d]) => [f, d.text ?? d.toString()])) },
    ]),
  };
  return JSON.stringify(file);
}

function fail(path: string, message: string): never {
  throw new MtdvatError(`sandbox state ${path}: ${message}; start with --fresh to discard it (or --state OTHER-FILE)`, { file: path });
}

/** Loads a state file into `state` (entries from the file win over the defaults already there). Missing file: nothing to load. */
export function loadStateFile(path: string, state: SandboxState): boolean {
  if (!existsSync(path)) return false;
  let file: StateFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
  } catch (error) {
    fail(path, `not readable as JSON (${(error as Error).message})`);
  }
  if (!file || typeof file !== 'object' || file.version !== VERSION) fail(path, `not an mtdvat emulator state (version ${VERSION})`);
  const maps = ['clients', 'users', 'sessions', 'codes', 'grants', 'accessTokens', 'refreshTokens'] as const;
  for (const name of maps) {
    const entries = file[name];
    if (!Array.isArray(entries) || !entries.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && e[1] && typeof e[1] === 'object')) {
      fail(path, `"${name}" is not a list of [key, value] pairs`);
    }
    const target = state[name] as Map<string, unknown>;
    for (const [key, value] of entries) target.set(key, value);
  }
  if (!Array.isArray(file.returns)) fail(path, '"returns" is not a list');
  for (const [key, r] of file.returns) {
    try {
      const boxes = Object.fromEntries(Object.entries(r.boxes).map(([f, text]) => [f, Decimal.parse(text)]));
      state.returns.set(key, { periodKey: r.periodKey, receivedAt: r.receivedAt, boxes } as StoredReturn);
    } catch {
      fail(path, `return ${key} does not hold exact amounts`);
    }
  }
  return true;
}

/**
 * Writes the state to an exclusive, randomly named temp file next to `path` and renames it into place:
 * a crash leaves the old file or the new one, never half, and a planted symlink is never followed.
 */
export function saveStateFile(path: string, text: string): void {
  writeFileAtomicSync(path, text, 0o600);
}
