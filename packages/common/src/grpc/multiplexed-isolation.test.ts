// One message that protobuf cannot encode must fail only its own request on a multiplexed stream, in
// both directions, over a real gRPC connection.
import { Client, type ServerDuplexStream } from '@grpc/grpc-js';
import { AuthorizeRequest, Decision, PolicyService } from '@sluice/proto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '../logger.js';
import { GRPC_STREAM_CHANNEL_OPTIONS } from './grpc-client.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc-server.js';
import { createInternalAuth } from './internal-auth.js';
import { MultiplexedStreams } from './multiplexed-streams.js';
import { encodeMessage, passEncodedBytes, preEncodedResponses, UnencodableMessageError } from './pre-encoded.js';
import { StreamPool } from './stream-pool.js';

const auth = createInternalAuth('isolation-test-token-0123456789');
const outcomes: string[] = [];
let server: RunningGrpcServer;

function request(requestId: string, maxTokens: number): AuthorizeRequest {
  return AuthorizeRequest.fromPartial({ requestId, apiKey: 'sk-x', route: '/v1/chat/completions', maxTokens });
}

beforeAll(async () => {
  const streams = new MultiplexedStreams<AuthorizeRequest, Decision>(Decision.create(), (decision) => encodeMessage(Decision, decision));
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ service: 'test', level: 'silent' }),
    auth,
    services: [
      {
        definition: preEncodedResponses(PolicyService, 'authorizeStream'),
        implementation: {
          authorizeStream(call: ServerDuplexStream<AuthorizeRequest, Buffer>) {
            streams.add(call);
            call.on('data', (message: AuthorizeRequest) => {
              // "poison" answers with a value a uint32 cannot hold; the handler replaces it, as policy does.
              const reserved = message.requestId.startsWith('poison') ? 2 ** 33 : 7;
              const outcome = streams.write(call, Decision.fromPartial({ requestId: message.requestId, allowed: true, reservedTokens: reserved }));
              outcomes.push(`${message.requestId}:${outcome}`);
              if (outcome === 'unencodable') streams.write(call, Decision.fromPartial({ requestId: message.requestId, errorCode: 'invalid_request' }));
            });
          },
        },
      },
    ],
  });
});

afterAll(async () => {
  await server?.shutdown(1_000);
});

test('an unencodable request or answer fails alone; the stream and its other requests carry on', async () => {
  const answers = new Map<string, Decision>();
  const lost: string[] = [];
  let resolveAll!: () => void;
  const allAnswered = new Promise<void>((resolve) => (resolveAll = resolve));
  const pool: StreamPool<AuthorizeRequest, Decision> = new StreamPool<AuthorizeRequest, Decision>({
    size: 1,
    rotateAfterMs: 60_000,
    connect() {
      const client = new Client(`127.0.0.1:${server.port}`, auth.credentials(), { ...GRPC_STREAM_CHANNEL_OPTIONS, interceptors: auth.interceptors() });
      return {
        open: () => client.makeBidiStreamRequest(PolicyService.authorizeStream.path, passEncodedBytes, PolicyService.authorizeStream.responseDeserialize),
        usable: () => true,
        close: () => client.close(),
      };
    },
    encode: (message) => encodeMessage(AuthorizeRequest, message),
    isDrainNotice: (decision) => decision.requestId === '',
    onMessage(decision) {
      answers.set(decision.requestId, decision);
      pool.done(decision.requestId);
      if (answers.size === 21) resolveAll();
    },
    onLost: (requestIds) => lost.push(...requestIds),
  });

  const refused: string[] = [];
  for (let index = 0; index < 20; index += 1) {
    pool.send(`ok-${index}`, request(`ok-${index}`, 100));
    // A max_tokens above 2^32 - 1 between every two good requests: refused before anything is sent.
    try {
      pool.send(`bad-${index}`, request(`bad-${index}`, 1e11));
    } catch (error) {
      expect(error).toBeInstanceOf(UnencodableMessageError);
      refused.push(`bad-${index}`);
    }
  }
  pool.send('poison-1', request('poison-1', 100));
  await allAnswered;
  pool.close();

  expect(refused).toHaveLength(20);
  expect(lost).toEqual([]);
  for (let index = 0; index < 20; index += 1) expect(answers.get(`ok-${index}`)).toMatchObject({ allowed: true, reservedTokens: 7 });
  // The answer that could not be encoded was replaced, on the same stream, by a refusal.
  expect(answers.get('poison-1')).toMatchObject({ allowed: false, errorCode: 'invalid_request' });
  expect(outcomes).toContain('poison-1:unencodable');
  expect(outcomes.filter((outcome) => outcome.endsWith(':written'))).toHaveLength(20);
});
