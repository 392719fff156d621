import { createServer, type Server } from 'node:net';
import { Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import { afterAll, expect, test } from 'vitest';
import { listenFailureMessage } from './listen-failure.js';

let taken: Server;
afterAll(() => new Promise((resolve) => taken.close(resolve)));

test('a port in use gives one readable line, from Node and from gRPC alike', async () => {
  taken = await new Promise<Server>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
  });
  const port = (taken.address() as { port: number }).port;
  const nodeError = await new Promise<Error>((resolve) => createServer().once('error', resolve).listen(port, '127.0.0.1'));
  expect(listenFailureMessage(nodeError)).toBe(`cannot listen on 127.0.0.1:${port}: the address is already in use (another process listens there)`);
  const grpcError = await new Promise<Error>((resolve) =>
    new GrpcServer().bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error) => resolve(error!)),
  );
  expect(listenFailureMessage(grpcError)).toBe(`cannot listen on 127.0.0.1:${port}: the address is already in use (another process listens there)`);
  expect(listenFailureMessage(new Error('something else'))).toBeUndefined();
});
