import type { AuthorizeRequest } from '@sluice/proto';

/** An AuthorizeRequest with the defaults of a plain check; routes set what applies to them. */
export function authorizeRequest(fields: Pick<AuthorizeRequest, 'requestId' | 'apiKey' | 'route'> & Partial<AuthorizeRequest>): AuthorizeRequest {
  return {
    adminRoute: false,
    model: '',
    estimatedPromptTokens: 0,
    maxTokens: 0,
    endUser: '',
    cacheControls: [],
    checkOnly: false,
    traceparent: '',
    choices: 1,
    tags: [],
    leaseOnly: false,
    leaseRequests: 0,
    ...fields,
  };
}
