// LiteLLM's duration strings: "30s", "30m", "30h", "30d", "2w" and calendar months "1mo". Budgets (policy)
// and the spend-log retention (accounting) read the same format (DurationSchema checks it in configs).

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^([1-9][0-9]{0,5})(s|m|h|d|w|mo)$/;

export function isDuration(text: string): boolean {
  return PATTERN.test(text);
}

/**
 * `startMs` plus the duration `times` times (-1: minus it); months are calendar months in UTC
 * (Jan 31 + 1mo = Feb 28/29).
 */
export function addDuration(startMs: number, duration: string, times = 1): number {
  const match = PATTERN.exec(duration);
  if (!match) throw new Error(`not a duration: "${duration}"`);
  const amount = Number(match[1]) * times;
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
