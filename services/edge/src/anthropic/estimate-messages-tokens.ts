// Roughly four characters per token, the rule of thumb OpenAI and Anthropic publish; a count_tokens
// answer is an estimate for budgeting a prompt, not the provider's tokenizer.
const CHARACTERS_PER_TOKEN = 4;
// Anthropic's own counts carry a few tokens of framing per message.
const TOKENS_PER_MESSAGE = 3;

function characters(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + characters(item), 0);
  if (value && typeof value === 'object') {
    let sum = 0;
    for (const [key, item] of Object.entries(value)) {
      // Images and documents are priced by size at the provider, not by their base64 text.
      if (key === 'data' && typeof item === 'string' && item.length > 1024) sum += 1600 * CHARACTERS_PER_TOKEN;
      else if (key !== 'type' && key !== 'cache_control') sum += characters(item);
    }
    return sum;
  }
  return 0;
}

/** The input tokens of a Messages request (system, messages and tools), estimated. */
export function estimateMessagesTokens(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages) ? body.messages.length : 0;
  const total = characters(body.system) + characters(body.messages) + (body.tools ? JSON.stringify(body.tools).length : 0);
  return Math.max(1, Math.ceil(total / CHARACTERS_PER_TOKEN) + messages * TOKENS_PER_MESSAGE);
}
