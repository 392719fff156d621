import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type CostFields, readCostFields } from './litellm-cost-fields.js';

// An operator's own prices, in the format of LiteLLM's model_prices_and_context_window.json: an object
// keyed by model name (`gpt-4o`, or `<provider>/<model>`), each entry with LiteLLM's per-token cost
// fields. It extends the built-in table and overrides it where both know a model, so a new model or a
// price change needs no Sluice release. Its version is the SHA-256 of its bytes.

export interface PricesFile {
  entries: ReadonlyMap<string, CostFields>;
  /** `prices-file@<first 12 hex digits of its SHA-256>`. */
  source: string;
}

export class PricesFileError extends Error {}

export function parsePricesFile(text: string, name = 'prices file'): PricesFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PricesFileError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PricesFileError(`${name} must be a JSON object keyed by model name`);
  }
  const entries = new Map<string, CostFields>();
  for (const [model, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (model === 'sample_spec' || !entry || typeof entry !== 'object') continue;
    const fields = readCostFields(entry as Record<string, unknown>);
    if (fields) entries.set(model, fields);
  }
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return { entries, source: `prices-file@${digest}` };
}

export function loadPricesFile(path: string): PricesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PricesFileError(`cannot read the prices file (general_settings.prices_file): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parsePricesFile(text, 'the prices file (general_settings.prices_file)');
}
