// The official openai client → edge → policy → router → fake Anthropic, Gemini, Bedrock and Azure
// servers replaying recorded traffic in each provider's own wire format; streaming and not, with a tool
// call each time; and the usage of every request in the ledger.
import { createEventStreamCodec } from '@sluice/router';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  type FakeResponse,
  loadJsonFixture,
  loadStreamPayloads,
  loadTextFixture,
  type RecordedRequest,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-e2e-master';
const TOOLS: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];

function bedrockFrames(lines: string[]): Buffer {
  const codec = createEventStreamCodec();
  return Buffer.concat(
    lines.map((line) => {
      const [type, payload] = Object.entries(JSON.parse(line) as Record<string, unknown>)[0]!;
      return codec.encode({
        headers: {
          ':event-type': { type: 'string', value: type },
          ':content-type': { type: 'string', value: 'application/json' },
          ':message-type': { type: 'string', value: 'event' },
        },
        body: Buffer.from(JSON.stringify(payload)),
      });
    }),
  );
}

const isStream = (request: RecordedRequest) => (request.body as { stream?: boolean }).stream === true || request.path.includes('stream');

const AZURE_CHUNK = { created: 1, id: 'chatcmpl-az', model: 'gpt-4o', object: 'chat.completion.chunk' };
const azureStream = [
  { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } }] },
  { ...AZURE_CHUNK, choices: [{ index: 0, content_filter_results: {}, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_az1', type: 'function', function: { name: 'weather', arguments: '' } }] }, finish_reason: null }] },
  { ...AZURE_CHUNK, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, finish_reason: null }] },
  { ...AZURE_CHUNK, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, finish_reason: null }] },
  { ...AZURE_CHUNK, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
  { ...AZURE_CHUNK, choices: [], usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 } },
].map((chunk) => JSON.stringify(chunk));
const azureAnswer = {
  ...AZURE_CHUNK,
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_az1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] }, finish_reason: 'tool_calls' }],
  usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 },
};

// What each fake provider answers, in its own format.
const RESPONDERS: Record<string, (request: RecordedRequest) => FakeResponse> = {
  anthropic: (request) =>
    isStream(request) ? { pieces: [loadTextFixture('anthropic', 'lib__fixtures__tool_use_response.txt')] } : { json: loadJsonFixture('vercel-ai', 'anthropic__anthropic-tool-no-args') },
  gemini: (request) =>
    request.path.includes(':batchEmbedContents')
      ? { json: { embeddings: [{ values: [0.5, -0.25, 1] }, { values: [0, 0.125, -1] }] } }
      : isStream(request)
        ? { sse: loadStreamPayloads('vercel-ai', 'google__google-tool-call'), done: false }
        : { json: loadJsonFixture('vercel-ai', 'google__google-tool-call') },
  bedrock: (request) =>
    request.path.endsWith('/invoke')
      ? { json: { embedding: [0.75, -0.5], inputTextTokenCount: 3 } }
      : isStream(request)
        ? { pieces: [bedrockFrames(loadStreamPayloads('vercel-ai', 'amazon-bedrock__amazon-bedrock-tool-call.1'))], headers: { 'content-type': 'application/vnd.amazon.eventstream' } }
        : { json: loadJsonFixture('vercel-ai', 'amazon-bedrock__amazon-bedrock-tool-call.1') },
  azure: (request) => (isStream(request) ? { sse: azureStream } : { json: azureAnswer }),
  openai: (request) =>
    isStream(request)
      ? { sse: loadStreamPayloads('vercel-ai', 'openai__completion__openai-completion-text') }
      : { json: loadJsonFixture('vercel-ai', 'openai__completion__openai-completion-text') },
};

const fakes: Record<string, FakeProvider> = {};
let backends: TestBackends;
let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  for (const [name, respond] of Object.entries(RESPONDERS)) fakes[name] = await startFakeProvider(respond);
  backends = await createTestBackends('providers');
  const config = writeConfigFile({
    model_list: [
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: `${fakes.anthropic!.url}/v1`, api_key: 'sk-ant-test' } },
      { model_name: 'gemini-flash', litellm_params: { model: 'gemini/gemini-2.5-flash', api_base: fakes.gemini!.url, api_key: 'goog-test' } },
      {
        model_name: 'bedrock-claude',
        litellm_params: {
          model: 'bedrock/anthropic.claude-3-haiku-20240307-v1:0',
          aws_bedrock_runtime_endpoint: fakes.bedrock!.url,
          aws_region_name: 'eu-central-1',
          aws_access_key_id: 'AKIDEXAMPLE',
          aws_secret_access_key: 'secret-example',
        },
      },
      { model_name: 'gemini-embed', litellm_params: { model: 'gemini/gemini-embedding-001', api_base: fakes.gemini!.url, api_key: 'goog-test' }, model_info: { mode: 'embedding' } },
      {
        model_name: 'titan-embed',
        litellm_params: { model: 'bedrock/amazon.titan-embed-text-v2:0', aws_bedrock_runtime_endpoint: fakes.bedrock!.url, api_key: 'bedrock-api-key' },
        model_info: { mode: 'embedding' },
      },
      { model_name: 'instruct', litellm_params: { model: 'text-completion-openai/gpt-3.5-turbo-instruct', api_base: `${fakes.openai!.url}/v1`, api_key: 'sk-oai' }, model_info: { mode: 'completion' } },
      { model_name: 'gpt-azure', litellm_params: { model: 'azure/my-gpt4o', api_base: fakes.azure!.url, api_key: 'azure-key', api_version: '2024-10-21' } },
    ],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config });
  client = new OpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await stack?.stop();
  for (const fake of Object.values(fakes)) await fake.close();
  await backends?.cleanup();
});

const MODELS = [
  { model: 'claude', provider: 'anthropic', path: '/v1/messages', auth: (request: RecordedRequest) => request.headers['x-api-key'] === 'sk-ant-test' },
  { model: 'gemini-flash', provider: 'gemini', path: '/v1beta/models/gemini-2.5-flash:', auth: (request: RecordedRequest) => request.headers['x-goog-api-key'] === 'goog-test' },
  {
    model: 'bedrock-claude',
    provider: 'bedrock',
    path: '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse',
    auth: (request: RecordedRequest) => String(request.headers.authorization).startsWith('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/') && String(request.headers.authorization).includes('/eu-central-1/bedrock/aws4_request'),
  },
  { model: 'gpt-azure', provider: 'azure', path: '/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21', auth: (request: RecordedRequest) => request.headers['api-key'] === 'azure-key' },
] as const;

const requestIds: string[] = [];

describe.each(MODELS)('$provider through the whole stack', ({ model, provider, path, auth }) => {
  test('non-streaming, with a tool call', async () => {
    const { data, response } = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: TOOLS })
      .withResponse();
    requestIds.push(response.headers.get('x-request-id')!);
    const choice = data.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls?.length).toBeGreaterThan(0);
    const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.id).not.toBe('');
    expect(call.function.name).not.toBe('');
    expect(JSON.parse(call.function.arguments)).toBeTypeOf('object');
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    const upstream = fakes[provider]!.requests.at(-1)!;
    expect(upstream.path.startsWith(path)).toBe(true);
    expect(auth(upstream)).toBe(true);
  });

  test('streaming with include_usage, with a tool call', async () => {
    const stream = client.chat.completions.stream({
      model,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: TOOLS,
      stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.id).not.toBe('');
    expect(typeof JSON.parse(call.function.arguments)).toBe('object');
    expect(final.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(final.usage?.completion_tokens).toBeGreaterThan(0);
    expect(auth(fakes[provider]!.requests.at(-1)!)).toBe(true);
  });
});

test('recorded tool calls arrive as recorded', async () => {
  const claude = await client.chat.completions.stream({ model: 'claude', messages: [{ role: 'user', content: 'Paris?' }], tools: TOOLS }).finalChatCompletion();
  const call = claude.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
  expect(call.function.name).toBe('get_weather');
  expect(JSON.parse(call.function.arguments)).toEqual({ location: 'Paris' });
  const azure = await client.chat.completions.stream({ model: 'gpt-azure', messages: [{ role: 'user', content: 'Paris?' }], tools: TOOLS }).finalChatCompletion();
  expect((azure.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall).function).toMatchObject({ name: 'weather', arguments: '{"city":"Paris"}' });
});

test('embeddings in OpenAI\'s shape, base64 or floats as the client asks (Gemini, Bedrock Titan)', async () => {
  // The openai client asks for base64 by default and decodes it back to floats.
  const gemini = await client.embeddings.create({ model: 'gemini-embed', input: ['a', 'b'] });
  expect(gemini.data.map((item) => Array.from(item.embedding))).toEqual([
    [0.5, -0.25, 1],
    [0, 0.125, -1],
  ]);
  expect(gemini.usage.prompt_tokens).toBeGreaterThan(0);
  expect(fakes.gemini!.requests.at(-1)!.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
  const titan = await client.embeddings.create({ model: 'titan-embed', input: 'hello', encoding_format: 'float' });
  expect(titan.data[0]!.embedding).toEqual([0.75, -0.5]);
  expect(titan.usage.prompt_tokens).toBe(3);
  expect(fakes.bedrock!.requests.at(-1)!.headers.authorization).toBe('Bearer bedrock-api-key');
});

test('legacy completions pass through, streaming and not', async () => {
  const recorded = loadJsonFixture<{ choices: Array<{ text: string }> }>('vercel-ai', 'openai__completion__openai-completion-text');
  const answer = await client.completions.create({ model: 'instruct', prompt: 'Invent a holiday', max_tokens: 16 });
  expect(answer.choices[0]!.text).toBe(recorded.choices[0]!.text);
  expect(fakes.openai!.requests.at(-1)!.path).toBe('/v1/completions');
  let text = '';
  for await (const chunk of await client.completions.create({ model: 'instruct', prompt: 'Invent a holiday', stream: true })) text += chunk.choices[0]?.text ?? '';
  const payloads = loadStreamPayloads('vercel-ai', 'openai__completion__openai-completion-text').map((line) => JSON.parse(line) as { choices: Array<{ text: string }> });
  expect(text).toBe(payloads.map((chunk) => chunk.choices[0]?.text ?? '').join(''));
});

test('every request has its usage row, with the provider that answered', async () => {
  await waitFor(async () => {
    const result = await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM spend_logs WHERE request_id = ANY($1)', [requestIds]);
    return result.rows[0]!.count === requestIds.length;
  }, { timeoutMs: 20_000 });
  const rows = await backends.sql.query<{ provider: string; prompt_tokens: number; status: string }>('SELECT provider, prompt_tokens, status FROM spend_logs WHERE request_id = ANY($1)', [requestIds]);
  expect(rows.rows.map((row) => row.provider).sort()).toEqual(['anthropic', 'azure', 'bedrock', 'gemini']);
  for (const row of rows.rows) {
    expect(row.status).toBe('success');
    expect(row.prompt_tokens).toBeGreaterThan(0);
  }
});
