import type { AdapterContext, TokenUsage } from '../provider-adapter.js';

// The `response` object of OpenAI's Responses API, for answers translated from chat completions: what the
// request asked for, echoed, with the output items and usage.

export type OutputItem = Record<string, unknown>;

export function responsesUsage(usage: TokenUsage | undefined): Record<string, unknown> | null {
  if (!usage) return null;
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/** The id of the response a request creates: one per request, derived from its id. */
export function responseIdOf(requestId: string): string {
  return `resp_${requestId.replaceAll('-', '')}`;
}

export function responseId(context: AdapterContext): string {
  return responseIdOf(context.requestId);
}

export function responseObject(
  context: AdapterContext,
  state: { status: 'in_progress' | 'completed' | 'incomplete'; output: OutputItem[]; usage: TokenUsage | undefined; incompleteReason?: string },
): Record<string, unknown> {
  const body = context.body;
  const echo = (name: string, fallback: unknown = null) => (body[name] === undefined ? fallback : body[name]);
  return {
    id: responseId(context),
    object: 'response',
    created_at: context.createdSeconds,
    status: state.status,
    error: null,
    incomplete_details: state.status === 'incomplete' ? { reason: state.incompleteReason ?? 'max_output_tokens' } : null,
    instructions: echo('instructions'),
    max_output_tokens: echo('max_output_tokens'),
    model: typeof body.model === 'string' ? body.model : context.deployment.model,
    output: state.output,
    parallel_tool_calls: echo('parallel_tool_calls', true),
    previous_response_id: echo('previous_response_id'),
    reasoning: echo('reasoning', { effort: null, summary: null }),
    store: echo('store', true),
    temperature: echo('temperature', 1),
    text: echo('text', { format: { type: 'text' } }),
    tool_choice: echo('tool_choice', 'auto'),
    tools: echo('tools', []),
    top_p: echo('top_p', 1),
    truncation: echo('truncation', 'disabled'),
    usage: state.status === 'in_progress' ? null : responsesUsage(state.usage),
    user: echo('user'),
    metadata: echo('metadata', {}),
  };
}

/** Chat's finish_reason → the response's status and, when incomplete, why. */
export function responseStatus(finishReason: string | null | undefined): { status: 'completed' | 'incomplete'; incompleteReason?: string } {
  if (finishReason === 'length') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (finishReason === 'content_filter') return { status: 'incomplete', incompleteReason: 'content_filter' };
  return { status: 'completed' };
}
