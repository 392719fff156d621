// A port already taken is an everyday mistake (a second gateway on the same host), not a crash: it gets
// one line a person can act on, not a stack trace.

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another process listens there)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not available on this host',
};

/** A readable sentence when the error is a failure to listen (Node's or gRPC's), else undefined. */
export function listenFailureMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (code !== undefined && Object.hasOwn(REASONS, code) && address !== undefined) {
    return `cannot listen on ${address}:${port ?? ''}: ${REASONS[code]}`;
  }
  // grpc-js folds the listen error into its message: "... [listen EADDRINUSE: address already in use 127.0.0.1:4020]".
  const folded = /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL)\b[^\]]*?(\S+:\d+)/.exec(error.message);
  if (folded) return `cannot listen on ${folded[2]}: ${REASONS[folded[1]!]}`;
  return undefined;
}
