// LiteLLM's spend routes, answered by the accounting service from the ledger. The edge registers them
// from this table.

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
  // LiteLLM reads its filters from a JSON body here ({"startTime", "endTime", "api_key"}).
  { method: 'POST', route: '/global/spend/end_users' },
];
