// The requests every adapter builds, checked against each provider's published definition in
// ../shared/specs (OpenAI's OpenAPI document, Bedrock's Smithy model, Gemini's protos) or, for
// Anthropic (no machine-readable spec there), against the Messages API's documented fields.
import { CallType } from '@sluice/proto';
import { describe, expect, test } from 'vitest';
import { anthropicMessagesPath, createAnthropicProvider } from './anthropic/create-anthropic-provider.js';
import { DEFAULT_ANTHROPIC_MAX_TOKENS } from './anthropic/convert-to-anthropic-request.js';
import { createBedrockProvider } from './bedrock/create-bedrock-provider.js';
import { createGeminiProvider } from './gemini/create-gemini-provider.js';
import { createOllamaProvider } from './ollama/ollama-chat.js';
import { createOpenAiCompatibleProvider } from './openai-compatible/create-openai-compatible-provider.js';
import type { AdapterContext, ProviderAdapter, UpstreamRequest } from './provider-adapter.js';
import { testContext, testDeployment } from './testing/contract-replay.test-support.js';
import { bedrockShapeErrors, geminiMessageErrors, openAiSchemaErrors } from './testing/provider-specs.test-support.js';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

/** A conversation that uses everything: system prompt, image, tools, a tool call and its result, tool_choice. */
const fullChat: Record<string, unknown> = {
  model: 'group',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: [{ type: 'text', text: 'What is in this picture, and the weather in Paris?' }, { type: 'image_url', image_url: { url: PNG } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '18°C and sunny' },
    { role: 'user', content: 'Thanks. Summarise.' },
  ],
  tools: [{ type: 'function', function: { name: 'weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
  tool_choice: { type: 'function', function: { name: 'weather' } },
  temperature: 0.5,
  top_p: 0.9,
  max_tokens: 200,
  stop: ['END'],
  user: 'end-user-7',
};

async function build(adapter: ProviderAdapter, context: AdapterContext, body: Record<string, unknown>): Promise<{ request: UpstreamRequest; json: Record<string, unknown> }> {
  const request = await adapter.buildRequest({ ...context, body }, body);
  return { request, json: JSON.parse(String(request.body)) as Record<string, unknown> };
}

describe('OpenAI-compatible requests match OpenAI\'s OpenAPI schemas', () => {
  const adapter = createOpenAiCompatibleProvider();
  const deployment = testDeployment('openai', 'gpt-4o-mini', { apiBase: 'https://api.example.com/v1' });

  test('chat completions, streaming, with usage always asked for', async () => {
    const { request, json } = await build(adapter, testContext(deployment, { includeUsage: false }), { ...fullChat, stream: true, metadata: { tags: ['a'] } });
    expect(openAiSchemaErrors('CreateChatCompletionRequest', json)).toEqual([]);
    expect(request.path).toBe('/v1/chat/completions');
    expect(json).toMatchObject({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true } });
    expect(json.metadata).toBeUndefined();
    expect(request.headers.authorization).toBe('Bearer sk-provider-key');
  });

  test('completions and embeddings', async () => {
    const completion = await build(adapter, testContext(deployment, { callType: CallType.CALL_TYPE_COMPLETION, stream: false }), { model: 'g', prompt: 'Say hi', max_tokens: 5 });
    expect(openAiSchemaErrors('CreateCompletionRequest', completion.json)).toEqual([]);
    expect(completion.request.path).toBe('/v1/completions');
    const embedding = await build(adapter, testContext(deployment, { callType: CallType.CALL_TYPE_EMBEDDING, stream: false }), { model: 'g', input: ['a', 'b'] });
    expect(openAiSchemaErrors('CreateEmbeddingRequest', embedding.json)).toEqual([]);
    expect(embedding.request.path).toBe('/v1/embeddings');
  });

  test('the validator does catch a wrong body', () => {
    expect(openAiSchemaErrors('CreateChatCompletionRequest', { model: 'x', messages: 'not a list' }).length).toBeGreaterThan(0);
  });
});

describe('Bedrock requests match the Bedrock Runtime Smithy model', () => {
  const adapter = createBedrockProvider();
  const deployment = testDeployment('bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', {
    apiBase: 'https://bedrock-runtime.eu-west-1.amazonaws.com',
    params: { model: 'bedrock/x', aws_access_key_id: 'AKIDEXAMPLE', aws_secret_access_key: 'secret', aws_region_name: 'eu-west-1' },
  });

  test('Converse and ConverseStream, signed with SigV4 for the bedrock service', async () => {
    for (const stream of [false, true]) {
      const { request, json } = await build(adapter, testContext(deployment, { stream }), fullChat);
      expect(bedrockShapeErrors(stream ? 'ConverseStreamRequest' : 'ConverseRequest', json)).toEqual([]);
      expect(request.path).toBe(`/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/${stream ? 'converse-stream' : 'converse'}`);
      expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/bedrock\/aws4_request, SignedHeaders=[a-z;-]*host[a-z;-]*, Signature=[0-9a-f]{64}$/);
      expect(json).toMatchObject({
        system: [{ text: 'You are terse.' }],
        inferenceConfig: { maxTokens: 200, temperature: 0.5, topP: 0.9, stopSequences: ['END'] },
        toolConfig: { toolChoice: { tool: { name: 'weather' } } },
      });
      const messages = json.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
      expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
      expect(messages[1]!.content[0]).toEqual({ toolUse: { toolUseId: 'call_1', name: 'weather', input: { city: 'Paris' } } });
      expect(messages[2]!.content[0]).toEqual({ toolResult: { toolUseId: 'call_1', content: [{ text: '18°C and sunny' }] } });
    }
  });

  test('a Bedrock API key goes as a bearer token instead of a signature', async () => {
    const keyed = testDeployment('bedrock', 'amazon.nova-lite-v1:0', { apiKey: 'bedrock-api-key', apiBase: 'https://bedrock-runtime.us-east-1.amazonaws.com' });
    const { request } = await build(adapter, testContext(keyed, { stream: false }), { model: 'g', messages: [{ role: 'user', content: 'hi' }] });
    expect(request.headers.authorization).toBe('Bearer bedrock-api-key');
  });

  test('embeddings: Titan and Cohere InvokeModel bodies', async () => {
    const titan = testDeployment('bedrock', 'amazon.titan-embed-text-v2:0', { apiKey: 'k' });
    const { request, json } = await build(adapter, testContext(titan, { callType: CallType.CALL_TYPE_EMBEDDING, stream: false }), { model: 'g', input: 'hello', dimensions: 256 });
    expect(request.path).toBe('/model/amazon.titan-embed-text-v2%3A0/invoke');
    expect(json).toEqual({ inputText: 'hello', dimensions: 256 });
    const cohere = testDeployment('bedrock', 'cohere.embed-english-v3', { apiKey: 'k' });
    expect((await build(adapter, testContext(cohere, { callType: CallType.CALL_TYPE_EMBEDDING, stream: false }), { model: 'g', input: ['a', 'b'] })).json).toEqual({
      texts: ['a', 'b'],
      input_type: 'search_document',
    });
  });

  test('the validator does catch a wrong body', () => {
    expect(bedrockShapeErrors('ConverseRequest', { messages: [{ role: 'user', content: [{ txt: 'x' }] }] }).length).toBeGreaterThan(0);
  });
});

describe('Gemini requests match the generative_service protos', () => {
  const adapter = createGeminiProvider();
  const deployment = testDeployment('gemini', 'gemini-2.5-flash', { apiBase: 'https://generativelanguage.googleapis.com' });

  test('generateContent and streamGenerateContent, key in x-goog-api-key', async () => {
    for (const stream of [false, true]) {
      const { request, json } = await build(adapter, testContext(deployment, { stream }), { ...fullChat, response_format: { type: 'json_object' } });
      expect(geminiMessageErrors('GenerateContentRequest', json)).toEqual([]);
      expect(request.path).toBe(`/v1beta/models/gemini-2.5-flash:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`);
      expect(request.headers['x-goog-api-key']).toBe('sk-provider-key');
      expect(json).toMatchObject({
        systemInstruction: { parts: [{ text: 'You are terse.' }] },
        generationConfig: { maxOutputTokens: 200, temperature: 0.5, topP: 0.9, stopSequences: ['END'], responseMimeType: 'application/json' },
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } },
      });
      const contents = json.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
      expect(contents.map((content) => content.role)).toEqual(['user', 'model', 'user']);
      expect(contents[0]!.parts[1]).toEqual({ inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } });
      expect(contents[2]!.parts[0]).toEqual({ functionResponse: { name: 'weather', response: { content: '18°C and sunny' } } });
    }
  });

  test('Vertex AI: project/location path and an OAuth bearer token', async () => {
    const vertex = createGeminiProvider({ vertex: { tokenSource: async () => 'ya29.token' } });
    const vertexDeployment = testDeployment('vertex_ai', 'gemini-2.5-pro', {
      apiBase: 'https://europe-west4-aiplatform.googleapis.com',
      params: { model: 'vertex_ai/gemini-2.5-pro', vertex_project: 'proj-1', vertex_location: 'europe-west4' },
    });
    const { request, json } = await build(vertex, testContext(vertexDeployment, { stream: true }), fullChat);
    expect(geminiMessageErrors('GenerateContentRequest', json)).toEqual([]);
    expect(request.path).toBe('/v1/projects/proj-1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse');
    expect(request.headers.authorization).toBe('Bearer ya29.token');
  });

  test('embeddings: batchEmbedContents', async () => {
    const { request, json } = await build(adapter, testContext(deployment, { callType: CallType.CALL_TYPE_EMBEDDING, stream: false }), { model: 'g', input: ['a', 'b'], dimensions: 64 });
    expect(request.path).toBe('/v1beta/models/gemini-2.5-flash:batchEmbedContents');
    expect(geminiMessageErrors('BatchEmbedContentsRequest', json)).toEqual([]);
    expect((json.requests as unknown[]).length).toBe(2);
  });

  test('the validator does catch a wrong body', () => {
    expect(geminiMessageErrors('GenerateContentRequest', { contents: [{ role: 'user', part: [] }] }).length).toBeGreaterThan(0);
  });
});

describe('Anthropic requests follow the Messages API', () => {
  const adapter = createAnthropicProvider();
  const deployment = testDeployment('anthropic', 'claude-sonnet-4-5', { apiBase: 'https://api.anthropic.com' });
  const TOP_LEVEL = new Set(['model', 'messages', 'max_tokens', 'system', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'stream', 'tools', 'tool_choice', 'metadata', 'thinking']);
  const BLOCKS = new Set(['text', 'image', 'tool_use', 'tool_result']);

  test('system, images, tools, tool results, tool_choice; headers; merged turns', async () => {
    const { request, json } = await build(adapter, testContext(deployment, { stream: true }), fullChat);
    for (const key of Object.keys(json)) expect(TOP_LEVEL.has(key)).toBe(true);
    expect(request.path).toBe('/v1/messages');
    expect(request.headers).toMatchObject({ 'x-api-key': 'sk-provider-key', 'anthropic-version': '2023-06-01' });
    expect(json).toMatchObject({
      model: 'claude-sonnet-4-5',
      system: 'You are terse.',
      max_tokens: 200,
      stream: true,
      stop_sequences: ['END'],
      tool_choice: { type: 'tool', name: 'weather' },
      tools: [{ name: 'weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
      metadata: { user_id: 'end-user-7' },
    });
    const messages = json.messages as Array<{ role: string; content: Array<{ type: string } & Record<string, unknown>> }>;
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    for (const message of messages) for (const block of message.content) expect(BLOCKS.has(block.type)).toBe(true);
    expect(messages[0]!.content[1]).toEqual({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } });
    expect(messages[1]!.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } }]);
    // The tool result and the next user turn become one user message, as the API requires.
    expect(messages[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'call_1', content: '18°C and sunny' },
      { type: 'text', text: 'Thanks. Summarise.' },
    ]);
  });

  test('max_tokens defaults (model_info first); tool_choice variants; parallel_tool_calls false', async () => {
    const plain = await build(adapter, testContext(deployment, { stream: false }), { model: 'g', messages: [{ role: 'user', content: 'hi' }] });
    expect(plain.json.max_tokens).toBe(DEFAULT_ANTHROPIC_MAX_TOKENS);
    const withInfo = testDeployment('anthropic', 'claude-haiku', { info: { max_output_tokens: 8192 } });
    expect((await build(adapter, testContext(withInfo, { stream: false }), { model: 'g', messages: [{ role: 'user', content: 'hi' }] })).json.max_tokens).toBe(8192);
    const tools = fullChat.tools;
    for (const [choice, expected] of [['auto', { type: 'auto' }], ['required', { type: 'any' }]] as const) {
      const { json } = await build(adapter, testContext(deployment), { model: 'g', messages: [{ role: 'user', content: 'x' }], tools, tool_choice: choice });
      expect(json.tool_choice).toEqual(expected);
    }
    const serial = await build(adapter, testContext(deployment), { model: 'g', messages: [{ role: 'user', content: 'x' }], tools, parallel_tool_calls: false });
    expect(serial.json.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });

  test('api_base with or without /v1 never gives /v1/v1/messages', () => {
    for (const base of ['https://api.anthropic.com', 'https://api.anthropic.com/', 'https://api.anthropic.com/v1', 'https://api.anthropic.com/v1/']) {
      expect(anthropicMessagesPath(base)).toEqual({ origin: 'https://api.anthropic.com', path: '/v1/messages' });
    }
    expect(anthropicMessagesPath('https://proxy.example/anthropic/v1')).toEqual({ origin: 'https://proxy.example', path: '/anthropic/v1/messages' });
  });
});

describe('drop_params', () => {
  const adapter = createAnthropicProvider();
  const body = { model: 'g', messages: [{ role: 'user', content: 'hi' }], logit_bias: { '1': 1 }, presence_penalty: 0.5 };

  test('without it, an unsupported parameter is a 400 unsupported_parameter naming it', async () => {
    const deployment = testDeployment('anthropic', 'claude');
    expect(() => adapter.buildRequest(testContext(deployment), body)).toThrow(expect.objectContaining({ code: 'unsupported_parameter', details: { param: 'logit_bias' } }));
  });

  test('with it (globally or on the deployment), the parameter is dropped and reported', async () => {
    const global = testContext(testDeployment('anthropic', 'claude'), { dropParams: true });
    const built = await adapter.buildRequest(global, body);
    expect(JSON.parse(String(built.body))).not.toHaveProperty('logit_bias');
    expect(global.dropped).toEqual(['logit_bias', 'presence_penalty']);
    const perDeployment = testContext(testDeployment('anthropic', 'claude', { params: { model: 'anthropic/claude', drop_params: true } }));
    await adapter.buildRequest(perDeployment, body);
    expect(perDeployment.dropped).toEqual(['logit_bias', 'presence_penalty']);
  });

  test('null means unset and is never refused', async () => {
    const deployment = testDeployment('anthropic', 'claude');
    expect(await adapter.buildRequest(testContext(deployment), { ...body, logit_bias: null, presence_penalty: null })).toMatchObject({ path: '/v1/messages' });
  });
});

describe('Ollama', () => {
  test('chat body with options, images and tools', async () => {
    const adapter = createOllamaProvider();
    const deployment = testDeployment('ollama', 'llama3.2', { apiBase: 'http://127.0.0.1:11434' });
    const { request, json } = await build(adapter, testContext(deployment, { stream: true }), { ...fullChat, tool_choice: 'auto' });
    expect(request.path).toBe('/api/chat');
    expect(json).toMatchObject({ model: 'llama3.2', stream: true, options: { num_predict: 200, temperature: 0.5, top_p: 0.9, stop: ['END'] } });
    const messages = json.messages as Array<Record<string, unknown>>;
    expect(messages[1]).toMatchObject({ role: 'user', images: ['iVBORw0KGgo='] });
    expect(messages[2]).toMatchObject({ role: 'assistant', tool_calls: [{ function: { name: 'weather', arguments: { city: 'Paris' } } }] });
  });
});
