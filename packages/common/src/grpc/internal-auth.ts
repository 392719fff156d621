import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type ChannelCredentials,
  credentials,
  type Interceptor,
  InterceptingCall,
  Metadata,
  type ServerInterceptor,
  ServerInterceptingCall,
  status,
} from '@grpc/grpc-js';
import type { Settings } from '../settings.js';

// Policy, router and accounting answer only callers that prove they belong to the deployment: every
// internal call carries a shared secret in its metadata, compared in constant time. The standard health
// service stays open, because Kubernetes' gRPC probes cannot send metadata and it reveals nothing.

export const INTERNAL_TOKEN_HEADER = 'x-sluice-internal-token';
const HEALTH_PATH_PREFIX = '/grpc.health.v1.Health/';
/** Long enough that guessing is hopeless; a generated token has far more. */
export const MIN_INTERNAL_TOKEN_LENGTH = 16;

export interface InternalAuth {
  /** Whether calls are checked (false only when the operator turned authentication off). */
  readonly enabled: boolean;
  credentials(): ChannelCredentials;
  /** Client interceptors that add the secret to every call. */
  interceptors(): Interceptor[];
  /** Server interceptors that refuse a call without the secret with UNAUTHENTICATED. */
  serverInterceptors(): ServerInterceptor[];
}

/** The internal authentication a service runs with; throws a readable message when it is not configured. */
export function internalAuthFromSettings(settings: Pick<Settings, 'internalToken' | 'internalAuth'>): InternalAuth {
  if (settings.internalAuth === 'none') return createInternalAuth(undefined);
  const token = settings.internalToken;
  if (token === undefined) {
    throw new Error(
      'SLUICE_INTERNAL_TOKEN is not set: the internal gRPC services accept only calls that carry it. Set the same random ' +
        'secret on every service (npm start and the Helm chart generate one), or SLUICE_INTERNAL_AUTH=none on a network you trust.',
    );
  }
  if (token.length < MIN_INTERNAL_TOKEN_LENGTH) {
    throw new Error(`SLUICE_INTERNAL_TOKEN must be at least ${MIN_INTERNAL_TOKEN_LENGTH} characters long`);
  }
  return createInternalAuth(token);
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `token` undefined means authentication is off (SLUICE_INTERNAL_AUTH=none); settings refuse to start
 * a service that has neither a token nor that explicit choice.
 */
export function createInternalAuth(token: string | undefined): InternalAuth {
  const expected = token === undefined ? undefined : digest(token);
  const addToken: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(INTERNAL_TOKEN_HEADER, token!);
        next(metadata, listener);
      },
    });
  const checkToken: ServerInterceptor = (method, call) =>
    new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata: Metadata, nextMetadata: (metadata: Metadata) => void) {
            if (method.path.startsWith(HEALTH_PATH_PREFIX) || presents(metadata)) {
              nextMetadata(metadata);
              return;
            }
            call.sendStatus({ code: status.UNAUTHENTICATED, details: 'This internal service answers only the gateway\'s own services.' });
          },
        });
      },
    });
  const presents = (metadata: Metadata) => {
    const values = metadata.get(INTERNAL_TOKEN_HEADER);
    if (values.length !== 1 || typeof values[0] !== 'string') return false;
    // Comparing digests keeps the comparison constant-time whatever the presented length.
    return timingSafeEqual(digest(values[0]), expected!);
  };
  return {
    enabled: expected !== undefined,
    credentials: () => credentials.createInsecure(),
    interceptors: () => (expected ? [addToken] : []),
    serverInterceptors: () => (expected ? [checkToken] : []),
  };
}
