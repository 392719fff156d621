import { createHash } from 'node:crypto';
import { type ClientKeyEntry, ConfigError, type GatewayConfig, type LimitFieldsInput } from '@sluice/common';
import { displayName, hashKey } from './hash-key.js';

// general_settings.client_keys as policy stores it: each entry becomes an ordinary virtual key, known by
// its hash only. Messages name an entry by its position, never by the key itself.

export interface DeclaredClientKey {
  token: string;
  /** "sk-...abcd", as for generated keys. */
  keyName: string;
  alias: string;
  fields: LimitFieldsInput;
  /** Changes whenever the entry (its key, alias or limits) changes: an unchanged entry is left alone. */
  fingerprint: string;
}

/** How much of the hash names a key whose entry gives no alias: enough to tell keys apart in a report. */
const ALIAS_HASH_CHARACTERS = 12;
const KEY_SHAPE = /^sk-\S+$/;

function entries(config: GatewayConfig): Array<{ entry: ClientKeyEntry; where: string }> {
  const declared = config.general_settings?.client_keys;
  if (declared === undefined) return [];
  const items = typeof declared === 'string' ? [declared] : declared;
  return items.flatMap((item, index) => {
    const where = typeof declared === 'string' ? 'general_settings.client_keys' : `general_settings.client_keys[${index}]`;
    if (typeof item !== 'string') return [{ entry: item, where }];
    // A comma-separated list, as an environment variable such as API_KEYS=sk-a,sk-b holds it.
    return item
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key !== '')
      .map((key, position) => ({ entry: { key }, where: `${where} (key ${position + 1})` }));
  });
}

/** The declared keys, checked: `sk-` keys, no duplicates, none equal to the master key. */
export function declaredClientKeys(config: GatewayConfig, pepper: string | undefined): DeclaredClientKey[] {
  const masterKey = config.general_settings?.master_key;
  const seen = new Set<string>();
  const aliases = new Set<string>();
  const out: DeclaredClientKey[] = [];
  for (const { entry, where } of entries(config)) {
    const { key, key_alias: givenAlias, ...fields } = entry;
    if (!KEY_SHAPE.test(key)) throw new ConfigError(`${where}: a client key must start with "sk-" and contain no spaces`);
    if (key === masterKey) throw new ConfigError(`${where}: a client key must not be the master key`);
    const token = hashKey(key, pepper);
    if (seen.has(token)) throw new ConfigError(`${where}: this key is declared twice`);
    seen.add(token);
    const alias = givenAlias ?? token.slice(0, ALIAS_HASH_CHARACTERS);
    if (aliases.has(alias)) throw new ConfigError(`${where}: key_alias "${alias}" is used by another client key`);
    aliases.add(alias);
    const fingerprint = createHash('sha256').update(JSON.stringify({ token, alias, fields })).digest('hex');
    out.push({ token, keyName: displayName(key), alias, fields, fingerprint });
  }
  return out;
}
