// Anthropic Messages answers in the response cache: a stream put back together as the message object
// Anthropic would have answered without streaming (the one stored form), and a stored message told again
// as the events of its stream. Only the stored copy is built this way, after the client has its answer.

type Json = Record<string, unknown>;

interface Block extends Json {
  type: string;
}

interface StreamEvent {
  type?: string;
  index?: number;
  message?: Json;
  content_block?: Block;
  delta?: Json & { type?: string };
  usage?: Json;
}

/**
 * The events of framed SSE (`event: ...\ndata: ...\n\n`): the parsed data of each. An event that is not
 * JSON (a provider's bytes pass through unread) is left out, so what it belonged to is not complete.
 */
export function framedEvents(sse: readonly Buffer[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const text of Buffer.concat(sse).toString('utf8').split('\n\n')) {
    const line = text.split('\n').find((candidate) => candidate.startsWith('data: '));
    if (!line) continue;
    try {
      events.push(JSON.parse(line.slice('data: '.length)) as StreamEvent);
    } catch {
      events.push({ type: 'unreadable' });
    }
  }
  return events;
}

function applyDelta(block: Block, delta: Json & { type?: string }, partialJson: Map<Block, string>): void {
  switch (delta.type) {
    case 'text_delta':
      block.text = `${typeof block.text === 'string' ? block.text : ''}${String(delta.text ?? '')}`;
      return;
    case 'input_json_delta':
      partialJson.set(block, (partialJson.get(block) ?? '') + String(delta.partial_json ?? ''));
      return;
    case 'thinking_delta':
      block.thinking = `${typeof block.thinking === 'string' ? block.thinking : ''}${String(delta.thinking ?? '')}`;
      return;
    case 'signature_delta':
      block.signature = delta.signature;
      return;
    case 'citations_delta':
      block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation];
      return;
    default:
      return;
  }
}

/** The message object for a recorded Messages stream; undefined when it never started. */
export function assembleAnthropicMessage(sse: readonly Buffer[]): Buffer | undefined {
  let message: Json | undefined;
  const content: Block[] = [];
  const partialJson = new Map<Block, string>();
  for (const event of framedEvents(sse)) {
    switch (event.type) {
      case 'message_start':
        // A repeated message_start (seen in the wild) does not start the message again; one with a new
        // id does, as Anthropic's SDK reads it.
        if (message && message.id === event.message?.id) break;
        message = { ...event.message };
        content.length = 0;
        partialJson.clear();
        break;
      case 'content_block_start':
        if (event.content_block && event.index !== undefined) content[event.index] = { ...event.content_block };
        break;
      case 'content_block_delta': {
        const block = event.index === undefined ? undefined : content[event.index];
        if (block && event.delta) applyDelta(block, event.delta, partialJson);
        break;
      }
      case 'message_delta':
        if (!message) break;
        if (event.delta) {
          if ('stop_reason' in event.delta) message.stop_reason = event.delta.stop_reason;
          if ('stop_sequence' in event.delta) message.stop_sequence = event.delta.stop_sequence;
        }
        // Cumulative: later counts replace earlier ones.
        if (event.usage) message.usage = { ...(message.usage as Json | undefined), ...Object.fromEntries(Object.entries(event.usage).filter(([, value]) => value !== null)) };
        break;
      default:
        break;
    }
  }
  if (!message) return undefined;
  for (const [block, json] of partialJson) {
    try {
      block.input = json === '' ? {} : (JSON.parse(json) as unknown);
    } catch {
      // Tool input cut off by max_tokens cannot be told again as it came: such an answer is not kept.
      return undefined;
    }
  }
  message.content = content.filter((block) => block !== undefined);
  return Buffer.from(JSON.stringify(message));
}

const event = (type: string, data: Json): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** A block as its content_block_start shows it (empty), and the deltas that fill it. */
function blockEvents(block: Block): { start: Block; deltas: Json[] } {
  switch (block.type) {
    case 'text': {
      const { text, citations, ...rest } = block;
      const deltas: Json[] = text ? [{ type: 'text_delta', text }] : [];
      if (!Array.isArray(citations)) return { start: { ...rest, text: '' }, deltas };
      for (const citation of citations) deltas.push({ type: 'citations_delta', citation });
      return { start: { ...rest, text: '', citations: [] }, deltas };
    }
    case 'tool_use':
    case 'server_tool_use': {
      const { input, ...rest } = block;
      const json = JSON.stringify(input ?? {});
      return { start: { ...rest, input: {} }, deltas: json === '{}' ? [] : [{ type: 'input_json_delta', partial_json: json }] };
    }
    case 'thinking': {
      const { thinking, signature, ...rest } = block;
      const deltas: Json[] = [];
      if (thinking) deltas.push({ type: 'thinking_delta', thinking });
      if (signature) deltas.push({ type: 'signature_delta', signature });
      return { start: { ...rest, thinking: '', signature: '' }, deltas };
    }
    default:
      return { start: block, deltas: [] };
  }
}

/** A stored message as the SSE events of its stream, and how many of them carry content. */
export function replayAnthropicMessage(body: Buffer): { events: string[]; contentEvents: number } {
  const message = JSON.parse(body.toString('utf8')) as Json & { content?: Block[]; usage?: Json };
  const { content = [], usage = {}, stop_reason: stopReason, stop_sequence: stopSequence, ...head } = message;
  const events = [event('message_start', { message: { ...head, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } } })];
  let contentEvents = 0;
  for (const [index, block] of content.entries()) {
    const { start, deltas } = blockEvents(block);
    events.push(event('content_block_start', { index, content_block: start }));
    for (const delta of deltas) events.push(event('content_block_delta', { index, delta }));
    events.push(event('content_block_stop', { index }));
    contentEvents += 1 + deltas.length;
  }
  events.push(event('message_delta', { delta: { stop_reason: stopReason ?? 'end_turn', stop_sequence: stopSequence ?? null }, usage }));
  events.push(event('message_stop', {}));
  return { events, contentEvents };
}
