import { type ChannelOptions, type Client, connectivityState, credentials, type ChannelCredentials } from '@grpc/grpc-js';

// One long-lived HTTP/2 channel per target; keepalive so a dead peer is noticed without waiting for a
// request to time out.
export const GRPC_CLIENT_OPTIONS: ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.enable_retries': 0,
};

/**
 * For the multiplexed request-path streams: each on its own connection, and reconnecting within a
 * second of a service coming back (grpc-js otherwise backs off up to two minutes).
 */
export const GRPC_STREAM_CHANNEL_OPTIONS: ChannelOptions = {
  ...GRPC_CLIENT_OPTIONS,
  'grpc.use_local_subchannel_pool': 1,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
};

export function insecureCredentials(): ChannelCredentials {
  return credentials.createInsecure();
}

export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}

/** False while the client's connection is failing; asking also starts connecting an idle channel. */
export function channelUsable(client: Client): boolean {
  const state = client.getChannel().getConnectivityState(true);
  return state !== connectivityState.TRANSIENT_FAILURE && state !== connectivityState.SHUTDOWN;
}
