/**
 * The client's one clock. Tests jump it together with the emulator's clock through
 * MTDVAT_NOW_OFFSET_MS (milliseconds added to the real time); nothing else should set it.
 */
export function nowMs(env: NodeJS.ProcessEnv = process.env): number {
  const offset = Number(env.MTDVAT_NOW_OFFSET_MS ?? 0);
  return Date.now() + (Number.isFinite(offset) ? offset : 0);
}

export function nowDate(env?: NodeJS.ProcessEnv): Date {
  return new Date(nowMs(env));
}

export function nowIsoString(env?: NodeJS.ProcessEnv): string {
  return nowDate(env).toISOString();
}
