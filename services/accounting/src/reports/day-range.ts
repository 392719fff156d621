const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 86_400_000;

export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

/** Inclusive UTC days: `from` 00:00 up to the end of `to`. */
export interface DayRange {
  from: string;
  to: string;
}

export function parseDay(value: string, param: string): string {
  if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new ReportInputError(`'${param}' must be a date written YYYY-MM-DD, got "${value}".`, param);
  }
  return value;
}

export function parseDayRange(from: string, to: string, fromParam: string, toParam: string): DayRange {
  const range = { from: parseDay(from, fromParam), to: parseDay(to, toParam) };
  if (range.from > range.to) throw new ReportInputError(`'${fromParam}' is after '${toParam}'.`, fromParam);
  return range;
}

/** The last `days` days up to and including today (UTC). */
export function lastDays(days: number, now: Date = new Date()): DayRange {
  const to = now.toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * MS_PER_DAY).toISOString().slice(0, 10);
  return { from, to };
}

/** The range as half-open timestamps, for start_time comparisons. */
export function rangeBounds(range: DayRange): [Date, Date] {
  return [new Date(`${range.from}T00:00:00Z`), new Date(Date.parse(`${range.to}T00:00:00Z`) + MS_PER_DAY)];
}
