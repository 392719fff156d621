// LiteLLM's duration strings: "30s", "30m", "30h", "30d", "2w" and calendar months "1mo".

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^([1-9][0-9]{0,5})(s|m|h|d|w|mo)$/;

export function isDuration(text: string): boolean {
  return PATTERN.test(text);
}

/** `startMs` plus the duration; months are calendar months in UTC (Jan 31 + 1mo = Feb 28/29). */
export function addDuration(startMs: number, duration: string): number {
  const match = PATTERN.exec(duration);
  if (!match) throw new Error(`not a duration: "${duration}"`);
  const amount = Number(match[1]);
  const unit = match[2]!;
  if (unit !== 'mo') return startMs + amount * UNIT_MS[unit]!;
  const start = new Date(startMs);
  const day = start.getUTCDate();
  const target = new Date(startMs);
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + amount);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.getTime();
}

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
