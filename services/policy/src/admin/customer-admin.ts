import { type CustomerIdsRequest, type CustomerInfoRequest, type CustomerNewRequest, type CustomerUpdateRequest, GatewayError } from '@sluice/common';
import { nanosToUsd } from '@sluice/pricing';
import type { AdminContext, Caller } from './admin-context.js';
import { budgetTableView, type LinkedRow } from './budget-links.js';
import type { LiveUsage } from './entity-views.js';
import { createLinked, deleteLinked, listLinked, readLinked, setLinkedBlocked, updateLinked } from './linked-entity-admin.js';

// LiteLLM's /customer/* (also /end_user/*): the end users named by the request's `user`, with their
// spend, budgets and limits, counted by policy beside the key's entities.

/** A customer in LiteLLM_EndUserTable's field names, plus the live usage Sluice adds. */
function customerView(linked: LinkedRow, usage?: LiveUsage) {
  const row = linked.row;
  return {
    user_id: row.user_id,
    alias: row.alias ?? null,
    spend: usage ? nanosToUsd(usage.spendNanos) : undefined,
    allowed_model_region: null,
    default_model: null,
    budget_id: row.budget_id ?? null,
    blocked: linked.effective.blocked,
    litellm_budget_table: budgetTableView(linked),
    ...(usage ? { spend_micros: usage.spendNanos / 1000, reserved_spend_micros: usage.reservedNanos / 1000, current_rpm: usage.requests, current_tpm: usage.tokens } : {}),
  };
}

export async function newCustomer(context: AdminContext, caller: Caller, request: CustomerNewRequest) {
  const { user_id: userId, alias, ...fields } = request;
  const created = await createLinked(context, caller, 'end_user', userId, { alias }, fields);
  return customerView(created, created.usage);
}

export async function updateCustomer(context: AdminContext, caller: Caller, request: CustomerUpdateRequest) {
  const { user_id: userId, alias, ...fields } = request;
  const updated = await updateLinked(context, caller, 'end_user', userId, { alias }, fields);
  return customerView(updated, updated.usage);
}

export async function customerInfo(context: AdminContext, _caller: Caller, request: CustomerInfoRequest) {
  const [found] = await readLinked(context, 'end_user', [request.end_user_id]);
  if (!found) throw new GatewayError('not_found', `End User Id=${request.end_user_id} does not exist in db.`, { param: 'end_user_id' });
  return customerView(found, found.usage);
}

export async function listCustomers(context: AdminContext) {
  return (await listLinked(context, 'end_user')).map((found) => customerView(found, found.usage));
}

export async function deleteCustomers(context: AdminContext, _caller: Caller, request: CustomerIdsRequest) {
  const deleted = await deleteLinked(context, 'end_user', request.user_ids);
  return { deleted_customers: deleted };
}

export async function setCustomersBlocked(context: AdminContext, caller: Caller, request: CustomerIdsRequest, blocked: boolean) {
  const rows = await setLinkedBlocked(context, caller, 'end_user', request.user_ids, blocked);
  const views = rows.map((row) => customerView(row));
  return blocked ? { blocked_users: views } : { unblocked_users: views };
}
