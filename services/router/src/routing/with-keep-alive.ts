import type { CompletePart } from '@sluice/proto';

const KEEP_ALIVE: CompletePart = { part: { $case: 'keepAlive', keepAlive: {} } };

/**
 * Passes a stream's parts through and, while the first real part is slow to come (a provider thinking
 * before its first token, retries, backoff), yields a KeepAlive part every `intervalMs` so the edge can
 * write an SSE comment and load balancers do not cut the idle connection.
 */
export async function* withKeepAlive(source: AsyncGenerator<CompletePart>, intervalMs: number): AsyncGenerator<CompletePart> {
  let waitingForFirst = true;
  try {
    for (;;) {
      let next: IteratorResult<CompletePart>;
      if (waitingForFirst) {
        const pending = source.next();
        // Handled below; this only keeps a rejection during a keep-alive yield from counting as unhandled.
        pending.catch(() => undefined);
        for (;;) {
          let timer: NodeJS.Timeout | undefined;
          const tick = new Promise<'tick'>((resolve) => {
            timer = setTimeout(() => resolve('tick'), intervalMs);
          });
          const winner = await Promise.race([pending, tick]);
          clearTimeout(timer);
          if (winner !== 'tick') {
            next = winner;
            break;
          }
          yield KEEP_ALIVE;
        }
      } else {
        next = await source.next();
      }
      if (next.done) return;
      if (next.value.part?.$case !== 'keepAlive') waitingForFirst = false;
      yield next.value;
    }
  } finally {
    await source.return(undefined);
  }
}
