import { GatewayError } from '@sluice/common';
import type { Deployment } from '../providers/provider-adapter.js';

// Tag routing, as LiteLLM's enable_tag_filtering does it. A request with tags goes only to deployments
// carrying one of them (all of them with tag_filtering_match_any: false), or else to those tagged
// "default"; an untagged deployment never takes tagged traffic, so "free" requests cannot reach a
// deployment tagged only "paid". A request without tags goes to the "default" deployments when there
// are any, else to the whole group.

export const DEFAULT_TAG = 'default';

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : [];
}

/** The request's tags: body `metadata.tags` and `tags`, and the x-litellm-tags header the edge passes. */
export function requestTags(body: Record<string, unknown>, headerTags: readonly string[]): string[] {
  const metadata = body.metadata;
  const fromMetadata = metadata !== null && typeof metadata === 'object' ? stringsOf((metadata as Record<string, unknown>).tags) : [];
  return [...new Set([...fromMetadata, ...stringsOf(body.tags), ...headerTags])];
}

export function filterByTags(deployments: readonly Deployment[], tags: readonly string[], matchAny: boolean, group: string): readonly Deployment[] {
  const defaults = deployments.filter((deployment) => deployment.params.tags?.includes(DEFAULT_TAG));
  if (tags.length === 0) return defaults.length > 0 ? defaults : deployments;
  const matching = deployments.filter((deployment) => {
    const own = deployment.params.tags;
    if (!own || own.length === 0) return false;
    return matchAny ? tags.some((tag) => own.includes(tag)) : tags.every((tag) => own.includes(tag));
  });
  if (matching.length > 0) return matching;
  if (defaults.length > 0) return defaults;
  throw new GatewayError('invalid_request', `No deployment of the model "${group}" serves the tags ${tags.map((tag) => `"${tag}"`).join(', ')}.`);
}
