import type { KeyRecord } from '../keys/key-record.js';

// LiteLLM's model aliases: the key's own `aliases` first, then its team's `model_aliases`; the name
// resolved to is the model group the router gets. Own properties only: a model named "constructor"
// must not resolve to Object's prototype.

function lookUp(aliases: Record<string, string> | undefined, model: string): string | undefined {
  if (!aliases || !Object.hasOwn(aliases, model)) return undefined;
  const target = aliases[model];
  return typeof target === 'string' && target !== '' ? target : undefined;
}

/** The model group a request for `model` routes to under this key. */
export function resolveModelAlias(record: KeyRecord, model: string): string {
  return lookUp(record.key.aliases, model) ?? lookUp(record.team?.modelAliases, model) ?? model;
}
