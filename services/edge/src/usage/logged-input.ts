/**
 * A request's prompt as usage events and traces log it (Langfuse's generation input): the messages, the
 * prompt or the Responses input, with the system prompt first where the format keeps it apart from them
 * (Anthropic's `system`, the Responses API's `instructions`), so a Messages or Responses request is
 * logged as whole as a chat completion is.
 */
export function loggedInput(body: Record<string, unknown>): string {
  const turns = body.messages ?? body.prompt ?? body.input ?? null;
  const system = body.system ?? body.instructions;
  if (system === undefined || system === null || system === '') return JSON.stringify(turns);
  const rest = Array.isArray(turns) ? turns : turns === null ? [] : [{ role: 'user', content: turns }];
  return JSON.stringify([{ role: 'system', content: system }, ...rest]);
}
