/**
 * HMRC allows 3 requests per second per application, counted over everything that uses it. Parallel
 * mtdvat processes (scripts filing for several VRNs at once) share the store, so they take turns
 * through a table instead of each keeping its own count and together going over the limit.
 */
import type { Db } from '../store/db.js';
import { rateSlots } from '../store/rate-slots.js';

export interface RateLimitOptions {
  perSecond?: number;
  /**
   * Added to the one-second window: requests reach HMRC a little after their slot is taken, and not
   * all equally late, so slots exactly one second apart could still arrive closer together.
   */
  marginMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const WINDOW_MS = 1000;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The limiter's key: HMRC counts per application, whatever company the web application record is in. */
export function rateKey(app: { baseUrl: string; name: string }): string {
  return `${new URL(app.baseUrl).host}|${app.name}`;
}

/** Waits until this application may send another request, and takes that slot. */
export async function takeRateSlot(db: Db, appKey: string, options: RateLimitOptions = {}): Promise<void> {
  const perSecond = options.perSecond ?? 3;
  const window = WINDOW_MS + (options.marginMs ?? 250);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const slots = rateSlots(db);
  for (;;) {
    const wait = slots.tryTake(appKey, perSecond, window, now());
    if (wait === 0) return;
    await sleep(wait);
  }
}
