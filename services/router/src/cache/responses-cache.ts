// OpenAI Responses answers in the response cache. The stored form is the response object: the answer
// itself, or the `response` of a stream's terminal event (which carries the whole of it). A hit is a new
// response (its own id and creation time, so it can be stored and continued like any other), answered
// as the object or told again as the events of its stream.
import { framedEvents } from './anthropic-message-cache.js';

type Json = Record<string, unknown>;
type Item = Json & { type?: string; id?: string };

const TERMINAL = new Set(['response.completed', 'response.incomplete']);

/** The response object of a recorded Responses stream (its last event); undefined when it did not finish. */
export function assembleResponse(sse: readonly Buffer[]): Buffer | undefined {
  const last = framedEvents(sse).at(-1) as { type?: string; response?: Json } | undefined;
  return last?.type && TERMINAL.has(last.type) && last.response ? Buffer.from(JSON.stringify(last.response)) : undefined;
}

/** The same response under a new id and creation time. */
export function renewResponse(body: Buffer, id: string, createdSeconds: number): Json {
  return { ...(JSON.parse(body.toString('utf8')) as Json), id, created_at: createdSeconds };
}

/** Events for one output item between its output_item.added and output_item.done. */
function itemEvents(item: Item, outputIndex: number, push: (type: string, data: Json) => void): number {
  const itemId = item.id ?? '';
  let contentEvents = 0;
  switch (item.type) {
    case 'message': {
      const content = Array.isArray(item.content) ? (item.content as Item[]) : [];
      push('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
      for (const [contentIndex, part] of content.entries()) {
        const where = { item_id: itemId, output_index: outputIndex, content_index: contentIndex };
        if (part.type === 'output_text') {
          push('response.content_part.added', { ...where, part: { ...part, text: '', annotations: [] } });
          push('response.output_text.delta', { ...where, delta: part.text ?? '', logprobs: [] });
          push('response.output_text.done', { ...where, text: part.text ?? '', logprobs: [] });
        } else if (part.type === 'refusal') {
          push('response.content_part.added', { ...where, part: { ...part, refusal: '' } });
          push('response.refusal.delta', { ...where, delta: part.refusal ?? '' });
          push('response.refusal.done', { ...where, refusal: part.refusal ?? '' });
        } else push('response.content_part.added', { ...where, part });
        push('response.content_part.done', { ...where, part });
        contentEvents += 1;
      }
      break;
    }
    case 'function_call':
      push('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
      push('response.function_call_arguments.delta', { item_id: itemId, output_index: outputIndex, delta: item.arguments ?? '' });
      push('response.function_call_arguments.done', { item_id: itemId, output_index: outputIndex, arguments: item.arguments ?? '' });
      contentEvents += 1;
      break;
    case 'reasoning': {
      const summary = Array.isArray(item.summary) ? (item.summary as Item[]) : [];
      push('response.output_item.added', { output_index: outputIndex, item: { ...item, summary: [] } });
      for (const [summaryIndex, part] of summary.entries()) {
        const where = { item_id: itemId, output_index: outputIndex, summary_index: summaryIndex };
        push('response.reasoning_summary_part.added', { ...where, part: { ...part, text: '' } });
        push('response.reasoning_summary_text.delta', { ...where, delta: part.text ?? '' });
        push('response.reasoning_summary_text.done', { ...where, text: part.text ?? '' });
        push('response.reasoning_summary_part.done', { ...where, part });
        contentEvents += 1;
      }
      break;
    }
    default:
      // Built-in tool calls and anything newer: added and done whole.
      push('response.output_item.added', { output_index: outputIndex, item });
      contentEvents += 1;
  }
  push('response.output_item.done', { output_index: outputIndex, item });
  return contentEvents;
}

/** A (renewed) response object as the SSE events of its stream, and how many of them carry content. */
export function replayResponse(response: Json): { events: string[]; contentEvents: number } {
  const events: string[] = [];
  let sequence = 0;
  const push = (type: string, data: Json) => {
    events.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence, ...data })}\n\n`);
    sequence += 1;
  };
  const opening = { ...response, status: 'in_progress', output: [], usage: null, incomplete_details: null };
  push('response.created', { response: opening });
  push('response.in_progress', { response: opening });
  let contentEvents = 0;
  for (const [index, item] of ((response.output ?? []) as Item[]).entries()) contentEvents += itemEvents(item, index, push);
  push(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
  return { events, contentEvents };
}
