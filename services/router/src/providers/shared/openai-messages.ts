import { GatewayError } from '@sluice/common';

// The parts of an OpenAI chat request that adapters translate, read defensively: the edge validated the
// envelope, but message contents and tool definitions are open-ended.

export interface OpenAiToolCall {
  id: string;
  type?: string;
  function: { name: string; arguments: string };
}

export interface OpenAiMessage {
  role: string;
  content?: string | OpenAiContentPart[] | null;
  name?: string;
  tool_calls?: OpenAiToolCall[] | null;
  tool_call_id?: string;
}

export type OpenAiContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } | string }
  | { type: string; [key: string]: unknown };

export interface OpenAiTool {
  type: string;
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type OpenAiToolChoice = 'auto' | 'none' | 'required' | { type: string; function?: { name: string } };

/** A message's text parts joined (system prompts, tool results). */
export function textOf(content: OpenAiMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part): part is { type: 'text'; text: string } => part.type === 'text' && typeof (part as { text?: unknown }).text === 'string')
    .map((part) => part.text)
    .join('');
}

export function imageUrlOf(part: OpenAiContentPart): string | undefined {
  if (part.type !== 'image_url') return undefined;
  const value = (part as { image_url?: unknown }).image_url;
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { url?: unknown }).url === 'string') return (value as { url: string }).url;
  return undefined;
}

/** `data:image/png;base64,....` → media type and base64 data; undefined for an http(s) URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1]!, data: match[2]! } : undefined;
}

/** Tool call arguments as an object; providers that take objects need it parsed. */
export function parseArguments(argumentsJson: string | undefined): Record<string, unknown> {
  if (!argumentsJson) return {};
  try {
    const value: unknown = JSON.parse(argumentsJson);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** `stop` as a list. */
export function stopList(stop: unknown): string[] | undefined {
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop)) return stop.filter((value): value is string => typeof value === 'string');
  return undefined;
}

/** max_completion_tokens, else max_tokens. */
export function maxTokensOf(body: Record<string, unknown>): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' ? value : undefined;
}

/** The id of the tool call each tool result answers → the tool's name (Gemini wants the name). */
export function toolNamesById(messages: OpenAiMessage[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) for (const call of message.tool_calls ?? []) names.set(call.id, call.function.name);
  return names;
}

/** An embeddings request's `input` as texts; token arrays are refused by providers that take text only. */
export function embeddingInputs(body: Record<string, unknown>): string[] {
  const input = body.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((value) => typeof value === 'string')) return input as string[];
  throw new GatewayError('invalid_request', 'This model embeds text only: input must be a string or a list of strings.', { param: 'input' });
}

/** Tokens of texts a provider does not count for us, estimated at about four characters a token. */
export function estimateTextTokens(texts: string[]): number {
  return Math.ceil(texts.reduce((sum, text) => sum + text.length, 0) / 4);
}

/** An id for the n-th tool call of a request, for providers whose calls have none (Gemini, Ollama). */
export function generatedToolCallId(requestId: string, index: number): string {
  return `call_${requestId.replace(/-/g, '')}_${index}`;
}
