import type { GatewayConfig } from '@sluice/common';
import type { KeyRecord } from '../keys/key-record.js';

// Which models a key may call. Each of the key, its team, its user and its organisation may restrict
// the list (empty = everything); the request must pass every list. A list entry is a model group name,
// "*", an access group from model_info.access_groups, or, on a key, "all-team-models" (the team's list).

export const ALL_TEAM_MODELS = 'all-team-models';

export type AccessGroups = ReadonlyMap<string, ReadonlySet<string>>;

/** access group name → the model groups in it. */
export function buildAccessGroups(config: GatewayConfig): AccessGroups {
  const groups = new Map<string, Set<string>>();
  for (const entry of config.model_list) {
    for (const group of entry.model_info?.access_groups ?? []) {
      const members = groups.get(group) ?? new Set<string>();
      members.add(entry.model_name);
      groups.set(group, members);
    }
  }
  return groups;
}

/**
 * A list entry with `*` inside ("openai/*") allows the names it matches, as LiteLLM's key model lists
 * do: with wildcard deployments the name checked is the one the client asked for, never the pattern
 * that routes it.
 */
function wildcardAllows(entry: string, name: string): boolean {
  const star = entry.indexOf('*');
  if (star < 0) return false;
  const prefix = entry.slice(0, star);
  const suffix = entry.slice(star + 1);
  if (suffix.includes('*')) {
    const pattern = new RegExp(`^${entry.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
    return pattern.test(name);
  }
  return name.length > prefix.length + suffix.length && name.startsWith(prefix) && name.endsWith(suffix);
}

function listAllows(list: readonly string[], names: readonly string[], accessGroups: AccessGroups): boolean {
  if (list.length === 0) return true;
  for (const entry of list) {
    if (entry === '*') return true;
    for (const name of names) {
      if (entry === name || accessGroups.get(entry)?.has(name) || wildcardAllows(entry, name)) return true;
    }
  }
  return false;
}

function keyList(record: KeyRecord): readonly string[] {
  const models = record.key.limits.models;
  if (!models.includes(ALL_TEAM_MODELS)) return models;
  return record.team?.limits.models ?? [];
}

function lists(record: KeyRecord): Array<readonly string[]> {
  const all: Array<readonly string[]> = [keyList(record)];
  if (record.user) all.push(record.user.limits.models);
  if (record.team) all.push(record.team.limits.models);
  if (record.organization) all.push(record.organization.limits.models);
  return all;
}

/** `names`: the model group the request routes to and the name the client sent. */
export function modelAllowed(record: KeyRecord, names: readonly string[], accessGroups: AccessGroups): boolean {
  return lists(record).every((list) => listAllows(list, names, accessGroups));
}

/** The configured model groups this key may call, for /v1/models; empty when it may call all of them. */
export function allowedModelGroups(record: KeyRecord, configured: readonly string[], accessGroups: AccessGroups): string[] {
  const restricting = lists(record).filter((list) => list.length > 0 && !list.includes('*'));
  if (restricting.length === 0) return [];
  const allowed = configured.filter((model) => restricting.every((list) => listAllows(list, [model], accessGroups)));
  // Empty would read as "all"; a name no model group can have reads as "none".
  return allowed.length > 0 ? allowed : [''];
}
