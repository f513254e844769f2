/**
 * Action-log rows of runs that died: a row is written "Running" when its action starts; once no live
 * process holds the message, it is shown Interrupted (by the next run, or when the log is read).
 */
import type { Context } from '../context.js';
import { markInterrupted, messagesWithRunningRows } from '../store/em-lines.js';

/** Whether a process id is alive (EPERM: alive, someone else's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Marks Running rows Interrupted where no live process holds their message (one message, or all). */
export function settleInterrupted(ctx: Context, message?: number): void {
  const stale = messagesWithRunningRows(ctx.db, ctx.company, message).filter((m) => m.runPid === null || !isAlive(m.runPid));
  if (!stale.length) return;
  const at = new Date().toISOString();
  ctx.db.transaction(() => {
    for (const m of stale) markInterrupted(ctx.db, ctx.company, m.message, at);
  })();
}
