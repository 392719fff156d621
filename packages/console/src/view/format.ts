// Display formatting for the console. Money arrives as integer micro-USD; it is shown from those integers
// so a total on screen is the ledger's total to the cent, with no float drift from summing dollars.

const MICROS_PER_USD = 1_000_000;

/** Exact six-decimal dollars, as `npm run usage-report` prints them: 1234567 → "1.234567". */
export function formatUsdExact(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const absolute = Math.abs(Math.trunc(micros));
  const whole = Math.floor(absolute / MICROS_PER_USD);
  const fraction = String(absolute % MICROS_PER_USD).padStart(6, '0');
  return `${sign}${whole}.${fraction}`;
}

/** Exact nine-decimal dollars from integer nano-USD, as `npm run usage-report` prints them: 1234567890 → "1.234567890". */
export function formatUsdNanos(nanos: number): string {
  const sign = nanos < 0 ? '-' : '';
  const absolute = Math.abs(Math.trunc(nanos));
  const whole = Math.floor(absolute / 1_000_000_000);
  return `${sign}${whole}.${String(absolute % 1_000_000_000).padStart(9, '0')}`;
}

/** Dollars rounded half-up to the cent from micro-USD, with thousands separators: 1234567 → "$1.23". */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const cents = Math.floor((Math.abs(Math.trunc(micros)) + 5_000) / 10_000);
  const whole = Math.floor(cents / 100).toLocaleString('en-US');
  return `${sign}$${whole}.${String(cents % 100).padStart(2, '0')}`;
}

/** USD as the admin API answers it (a float such as 25 or 0.5), for budgets; empty when unset. */
export function formatBudget(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '';
  return formatUsd(Math.round(usd * MICROS_PER_USD));
}

/** Compact counts: 950 → "950", 12_300 → "12.3k", 4_500_000 → "4.5M". */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const absolute = Math.abs(value);
  if (absolute < 1_000) return String(value);
  if (absolute < 1_000_000) return `${trimZero((value / 1_000).toFixed(1))}k`;
  return `${trimZero((value / 1_000_000).toFixed(1))}M`;
}

function trimZero(text: string): string {
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

/** Milliseconds as "340 ms" or "2.4 s"; empty when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1_000).toFixed(1)} s`;
}

/** An ISO time as "2026-11-20 14:03:09" in UTC (the ledger's days are UTC days). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Milliseconds between two ISO times, or undefined when either is missing. */
export function millisBetween(from: string | null | undefined, to: string | null | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = new Date(to).getTime() - new Date(from).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** When a key expires, relative to now: "never", "expired", "in 3 d", "in 5 h". */
export function formatExpiry(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const left = new Date(iso).getTime() - now;
  if (!Number.isFinite(left)) return '';
  if (left <= 0) return 'expired';
  const hours = left / 3_600_000;
  if (hours < 1) return `in ${Math.max(1, Math.round(left / 60_000))} min`;
  if (hours < 48) return `in ${Math.round(hours)} h`;
  return `in ${Math.round(hours / 24)} d`;
}

export interface LimitFields {
  rpm_limit?: number | null;
  tpm_limit?: number | null;
  max_parallel_requests?: number | null;
}

/** "600 rpm · 200k tpm · 20 parallel", or "none". */
export function formatLimits(entity: LimitFields): string {
  const parts: string[] = [];
  if (entity.rpm_limit != null) parts.push(`${formatCount(entity.rpm_limit)} rpm`);
  if (entity.tpm_limit != null) parts.push(`${formatCount(entity.tpm_limit)} tpm`);
  if (entity.max_parallel_requests != null) parts.push(`${entity.max_parallel_requests} parallel`);
  return parts.length > 0 ? parts.join(' · ') : 'none';
}

/** An entity's model list: empty means every model. */
export function formatModels(models: readonly string[] | null | undefined): string {
  return models && models.length > 0 ? models.join(', ') : 'all models';
}

/** How much of a budget is used, 0..1 (a spend over the cap shows as full); undefined without a cap. */
export function budgetFraction(spendUsd: number | null | undefined, maxBudgetUsd: number | null | undefined): number | undefined {
  if (maxBudgetUsd === null || maxBudgetUsd === undefined) return undefined;
  if (maxBudgetUsd <= 0) return 1;
  return Math.min(1, Math.max(0, (spendUsd ?? 0) / maxBudgetUsd));
}

/** A chart axis label in USD with as many decimals as the tick step needs: 0.0005 steps → "$0.0015". */
export function formatAxisUsd(value: number, step: number): string {
  const decimals = step > 0 && step < 0.01 ? Math.min(6, Math.ceil(-Math.log10(step) - 1e-9)) : 2;
  return `$${value.toFixed(decimals)}`;
}
