const MICROS_PER_USD = 1_000_000;

/** Micro-USD as the float USD amount LiteLLM's spend routes return. */
export function toUsd(micros: number): number {
  return micros / MICROS_PER_USD;
}

/** Micro-USD as exact decimal text with six places, e.g. 1234567 → "1.234567" (no float rounding). */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const absolute = Math.abs(micros);
  const whole = Math.floor(absolute / MICROS_PER_USD);
  const fraction = String(absolute % MICROS_PER_USD).padStart(6, '0');
  return `${sign}${whole}.${fraction}`;
}

const NANOS_PER_USD = 1_000_000_000;

/** Nano-USD (the ledger's unit) as the float USD amount LiteLLM's spend routes return. */
export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/** Nano-USD as exact decimal text with nine places, e.g. 9750 → "0.000009750". */
export function formatNanosUsd(nanos: number): string {
  const sign = nanos < 0 ? '-' : '';
  const absolute = Math.abs(nanos);
  const whole = Math.floor(absolute / NANOS_PER_USD);
  const fraction = String(absolute % NANOS_PER_USD).padStart(9, '0');
  return `${sign}${whole}.${fraction}`;
}
