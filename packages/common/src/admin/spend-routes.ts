// LiteLLM's spend routes, answered by the accounting service from the ledger. The edge registers them
// from this table; policy lets a key with permissions.get_spend_routes call them without being an admin.

export interface SpendRoute {
  method: 'GET' | 'POST';
  route: string;
}

export const SPEND_ROUTES: readonly SpendRoute[] = [
  { method: 'GET', route: '/spend/logs' },
  { method: 'GET', route: '/spend/tags' },
  { method: 'GET', route: '/global/spend/report' },
  { method: 'GET', route: '/global/spend/keys' },
  { method: 'GET', route: '/global/spend/models' },
  { method: 'GET', route: '/global/spend/teams' },
  { method: 'GET', route: '/global/spend/tags' },
  { method: 'GET', route: '/global/spend/provider' },
  { method: 'GET', route: '/global/spend/logs' },
  { method: 'GET', route: '/global/spend/all_tag_names' },
  { method: 'GET', route: '/global/all_end_users' },
  // LiteLLM reads its filters from a JSON body here ({"startTime", "endTime", "api_key"}).
  { method: 'POST', route: '/global/spend/end_users' },
];

const SPEND_ROUTE_NAMES: ReadonlySet<string> = new Set(SPEND_ROUTES.map((route) => route.route));

/** Is this (with or without a /v1 prefix) one of the spend routes? */
export function isSpendRoute(route: string): boolean {
  return SPEND_ROUTE_NAMES.has(route.startsWith('/v1/') ? route.slice(3) : route);
}
