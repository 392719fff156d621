import { expect } from 'vitest';

/**
 * One chat completion through the edge with the master key, read to its end; asserts it succeeded and
 * resolves to its request id (what the ledger is keyed on).
 */
export async function chatRequestId(edgeUrl: string, masterKey: string, options: { stream: boolean; content: string }): Promise<string> {
  const response = await fetch(`${edgeUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${masterKey}` },
    body: JSON.stringify({ model: 'gpt-test', stream: options.stream, messages: [{ role: 'user', content: options.content }] }),
  });
  await response.text();
  expect(response.status).toBe(200);
  return response.headers.get('x-request-id')!;
}
