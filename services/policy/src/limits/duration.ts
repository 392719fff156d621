// LiteLLM's duration strings ("30d", "1mo", ...) are read in @sluice/common; budget periods step by them here.
import { addDuration } from '@sluice/common';

export { addDuration, isDuration } from '@sluice/common';

export interface BudgetPeriod {
  startMs: number;
  resetAtMs: number;
}

/**
 * The period that contains `nowMs`, stepping from `startMs` in whole durations: a reset that runs late
 * keeps the schedule (a daily budget created at 09:00 keeps resetting at 09:00), and periods missed
 * while nothing ran are skipped.
 */
export function currentPeriod(startMs: number, duration: string, nowMs: number): BudgetPeriod {
  let start = startMs;
  let resetAt = addDuration(start, duration);
  // Bounded: durations are at least a second, and a stalled job catches up in one pass per period.
  for (let steps = 0; resetAt <= nowMs && steps < 100_000; steps += 1) {
    start = resetAt;
    resetAt = addDuration(start, duration);
  }
  if (resetAt <= nowMs) return { startMs: nowMs, resetAtMs: addDuration(nowMs, duration) };
  return { startMs: start, resetAtMs: resetAt };
}
