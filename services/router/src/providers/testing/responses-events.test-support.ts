// Reads a Responses API stream the way OpenAI's SDK accumulates it, checking it on the way: each event's
// name is its type, sequence numbers count up from 0, every delta belongs to an item that was added and
// adds up to what its done event says, and the final response lists the items that were done.
import { decodeSse } from './anthropic-events.test-support.js';

export interface AssembledResponse {
  eventTypes: string[];
  output: Array<Record<string, unknown>>;
  final: Record<string, unknown> | undefined;
  text: string;
}

interface Event {
  type: string;
  sequence_number?: number;
  output_index?: number;
  item_id?: string;
  item?: Record<string, unknown> & { id?: string };
  delta?: string;
  text?: string;
  arguments?: string;
  response?: Record<string, unknown>;
}

export function assembleResponsesEvents(sse: string | Uint8Array): AssembledResponse {
  const out: AssembledResponse = { eventTypes: [], output: [], final: undefined, text: '' };
  const open = new Map<string, string>();
  let sequence = 0;
  for (const { event, data } of decodeSse(sse)) {
    const parsed = JSON.parse(data) as Event;
    if (event !== parsed.type) throw new Error(`event "${event}" carries data of type "${parsed.type}"`);
    if (parsed.sequence_number !== undefined) {
      if (parsed.sequence_number !== sequence) throw new Error(`sequence_number ${parsed.sequence_number}, expected ${sequence}`);
      sequence += 1;
    }
    out.eventTypes.push(parsed.type);
    switch (parsed.type) {
      case 'response.output_item.added':
        open.set(parsed.item!.id!, '');
        break;
      case 'response.output_text.delta':
      case 'response.function_call_arguments.delta':
      case 'response.reasoning_summary_text.delta':
        if (!open.has(parsed.item_id!)) throw new Error(`${parsed.type} for unknown item ${parsed.item_id}`);
        open.set(parsed.item_id!, open.get(parsed.item_id!)! + parsed.delta);
        if (parsed.type === 'response.output_text.delta') out.text += parsed.delta;
        break;
      case 'response.output_text.done':
      case 'response.reasoning_summary_text.done':
        if (open.get(parsed.item_id!) !== parsed.text) throw new Error(`${parsed.type} text differs from its deltas`);
        break;
      case 'response.function_call_arguments.done':
        if (open.get(parsed.item_id!) !== parsed.arguments) throw new Error('arguments differ from their deltas');
        break;
      case 'response.output_item.done':
        out.output.push(parsed.item!);
        break;
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
        out.final = parsed.response;
        break;
      default:
        break;
    }
  }
  return out;
}
