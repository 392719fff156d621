import type { AuthorizeRequest, Decision } from '@sluice/proto';
import { displayName, hashKey, secretsEqual } from '../keys/hash-key.js';

export interface AuthorizeDependencies {
  masterKey: string | undefined;
  keyPepper: string | undefined;
}

const NO_LIMIT = { limit: 0, remaining: 0, resetSeconds: 0 };

function deny(errorCode: string, message = ''): Decision {
  return {
    allowed: false,
    errorCode,
    message,
    retryAfterSeconds: 0,
    identity: undefined,
    modelGroup: '',
    requests: NO_LIMIT,
    tokens: NO_LIMIT,
    allowedModels: [],
    reservedTokens: 0,
    reservedCostMicros: 0,
  };
}

/** The decision for one request. */
export function createAuthorize(dependencies: AuthorizeDependencies) {
  const masterHash = dependencies.masterKey ? hashKey(dependencies.masterKey, dependencies.keyPepper) : undefined;

  return async function authorize(request: AuthorizeRequest): Promise<Decision> {
    if (request.apiKey === '') return deny('missing_api_key');
    if (dependencies.masterKey && masterHash && secretsEqual(request.apiKey, dependencies.masterKey)) {
      return {
        ...deny(''),
        allowed: true,
        identity: {
          keyHash: masterHash,
          keyAlias: 'master',
          teamId: '',
          teamAlias: '',
          userId: '',
          organizationId: '',
          isAdmin: true,
          isMasterKey: true,
          keyName: displayName(dependencies.masterKey),
        },
        modelGroup: request.model,
      };
    }
    return deny('invalid_api_key');
  };
}
