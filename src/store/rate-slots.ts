import type { Db } from './db.js';

/**
 * The rate_slots table: one row per request sent to an HMRC application, shared by every mtdvat
 * process on the store (hmrc/rate-limit.ts decides when to wait).
 */
export interface RateSlots {
  /**
   * Takes a slot for `appKey` at `t` and returns 0, or returns how many ms to wait for one when
   * `perSecond` slots were already taken within `windowMs`. Runs IMMEDIATE: the check and the insert
   * happen under the write lock, so two processes cannot both see a free slot and take it.
   */
  tryTake(appKey: string, perSecond: number, windowMs: number, t: number): number;
}

export function rateSlots(db: Db): RateSlots {
  const prune = db.prepare('DELETE FROM rate_slots WHERE at_ms <= ?');
  const recent = db.prepare('SELECT at_ms FROM rate_slots WHERE app_key = ? ORDER BY at_ms DESC LIMIT ?').pluck();
  const take = db.prepare('INSERT INTO rate_slots (app_key, at_ms) VALUES (?, ?)');
  const attempt = db.transaction((appKey: string, perSecond: number, windowMs: number, t: number): number => {
    prune.run(t - windowMs);
    const times = recent.all(appKey, perSecond) as number[];
    if (times.length < perSecond) {
      take.run(appKey, t);
      return 0;
    }
    // Not pruned, so the oldest of them is younger than the window: the wait is positive.
    return Math.max(1, times[perSecond - 1] + windowMs - t);
  });
  return { tryTake: (appKey, perSecond, windowMs, t) => attempt.immediate(appKey, perSecond, windowMs, t) };
}
