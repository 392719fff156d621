import { GatewayError, type TagDeleteRequest, type TagInfoRequest, type TagNewRequest, type TagUpdateRequest } from '@sluice/common';
import { nanosToUsd } from '@sluice/pricing';
import type { AdminContext, Caller } from './admin-context.js';
import { budgetTableView, type LinkedRow } from './budget-links.js';
import type { LiveUsage } from './entity-views.js';
import { createLinked, deleteLinked, listLinked, readLinked, updateLinked } from './linked-entity-admin.js';

// LiteLLM's /tag/* routes: tags with budgets and limits. Every request counts against each of its
// tags (its metadata.tags and its key's and team's tags) that has a row here.

const iso = (value: unknown): string | null => (value === null || value === undefined ? null : new Date(String(value)).toISOString());

/** A tag in LiteLLM's TagConfig field names, plus the live usage Sluice adds. */
function tagView(linked: LinkedRow, usage: LiveUsage) {
  const row = linked.row;
  return {
    name: row.tag_name,
    description: row.description ?? null,
    models: [],
    budget_id: row.budget_id ?? null,
    litellm_budget_table: budgetTableView(linked),
    spend: nanosToUsd(usage.spendNanos),
    spend_micros: usage.spendNanos / 1000,
    reserved_spend_micros: usage.reservedNanos / 1000,
    current_rpm: usage.requests,
    current_tpm: usage.tokens,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    created_by: row.created_by ?? null,
    updated_by: row.updated_by ?? null,
  };
}

export async function newTag(context: AdminContext, caller: Caller, request: TagNewRequest) {
  const { name, description, ...fields } = request;
  const created = await createLinked(context, caller, 'tag', name, { description }, fields);
  return tagView(created, created.usage);
}

export async function updateTag(context: AdminContext, caller: Caller, request: TagUpdateRequest) {
  const { name, description, ...fields } = request;
  const updated = await updateLinked(context, caller, 'tag', name, { description }, fields);
  return tagView(updated, updated.usage);
}

/** LiteLLM answers /tag/info with an object keyed by tag name. */
export async function tagInfo(context: AdminContext, _caller: Caller, request: TagInfoRequest) {
  const found = await readLinked(context, 'tag', request.names);
  if (found.length === 0) throw new GatewayError('not_found', 'No tag with any of those names.', { param: 'names' });
  return Object.fromEntries(found.map((tag) => [String(tag.row.tag_name), tagView(tag, tag.usage)]));
}

export async function listTags(context: AdminContext) {
  return (await listLinked(context, 'tag')).map((tag) => tagView(tag, tag.usage));
}

export async function deleteTag(context: AdminContext, _caller: Caller, request: TagDeleteRequest) {
  await deleteLinked(context, 'tag', [request.name]);
  return { message: `Tag ${request.name} deleted successfully` };
}
