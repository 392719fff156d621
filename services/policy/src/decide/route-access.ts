// LiteLLM's allowed_routes: exact routes (with or without the /v1 prefix), prefixes ending in "*", and
// its route groups. An empty list allows every route.

const GROUP_OF_KEY_TYPE: Readonly<Record<string, string[]>> = {
  llm_api: ['llm_api_routes'],
  management: ['management_routes'],
  read_only: ['info_routes'],
  default: [],
};

/** The allowed_routes a key gets from its key_type when it names none itself. */
export function routesForKeyType(keyType: string | null | undefined): string[] {
  return keyType ? (GROUP_OF_KEY_TYPE[keyType] ?? []) : [];
}

const withoutV1 = (route: string) => (route.startsWith('/v1/') ? route.slice(3) : route);

export interface RouteCall {
  route: string;
  /** An admin (management) route rather than an LLM route. */
  admin: boolean;
  method: string;
}

function matches(entry: string, call: RouteCall): boolean {
  switch (entry) {
    case 'llm_api_routes':
    case 'openai_routes':
      return !call.admin;
    case 'management_routes':
      return call.admin;
    case 'info_routes':
      return call.admin && call.method === 'GET';
  }
  if (entry.endsWith('*')) return withoutV1(call.route).startsWith(withoutV1(entry.slice(0, -1)));
  return withoutV1(entry) === withoutV1(call.route);
}

export function routeAllowed(allowedRoutes: readonly string[], call: RouteCall): boolean {
  return allowedRoutes.length === 0 || allowedRoutes.some((entry) => matches(entry, call));
}
