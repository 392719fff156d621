/** Something that answers POST <path> like OpenAI: the mock itself, Sluice, or Portkey. */
export interface Target {
  name: 'direct' | 'sluice' | 'sluice-edge-router' | 'portkey';
  origin: string;
  path: string;
  headers: Record<string, string>;
  model: string;
  /** The processes that do the target's work, for CPU and memory figures. */
  processes(): Record<string, number>;
  stop(): Promise<void>;
}

export function requestBody(target: Target, stream: boolean): string {
  return JSON.stringify({
    model: target.model,
    messages: [{ role: 'user', content: 'Say hello in twenty words.' }],
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  });
}
