// Request bodies of the OpenAI-compatible routes. Known fields are type-checked (a wrong type is a 400,
// never coerced); unknown fields pass through to the provider, because OpenAI adds parameters faster
// than any gateway ships. Fields that would let a client steer where or how the router connects are
// refused outright.
import { type TSchema, Type } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Never accepted from a client: endpoints and credentials come from the operator's config only. */
export const FORBIDDEN_FIELDS = [
  'api_base',
  'base_url',
  'api_key',
  'api_version',
  'organization',
  'headers',
  'extra_headers',
  'custom_llm_provider',
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'aws_region_name',
  'vertex_project',
  'vertex_location',
  'vertex_credentials',
  'litellm_params',
] as const;

const forbidden = Object.fromEntries(FORBIDDEN_FIELDS.map((name) => [name, Type.Optional(Type.Never())]));

/** Gateway fields clients may send (LiteLLM's names). */
const GatewayFields = {
  metadata: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  cache: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  user: Type.Optional(Nullable(Type.String({ maxLength: 512 }))),
};

/**
 * Counts that travel to policy in a protobuf uint32: a larger value is refused here, with the field
 * named, rather than failing the shared stream that carries it.
 */
const UINT32_MAX = 4_294_967_295;
const TokenCount = (minimum: number) => Nullable(Type.Integer({ minimum, maximum: UINT32_MAX }));

const StopSchema = Nullable(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 16 })]));

export const ChatMessageSchema = Type.Object(
  {
    role: Type.String({ minLength: 1 }),
    content: Type.Optional(Nullable(Type.Union([Type.String(), Type.Array(Type.Record(Type.String(), Type.Unknown()))]))),
    name: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Nullable(Type.Array(Type.Record(Type.String(), Type.Unknown())))),
    tool_call_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const ChatCompletionBodySchema = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    messages: Type.Array(ChatMessageSchema, { minItems: 1, maxItems: 10_000 }),
    stream: Type.Optional(Nullable(Type.Boolean())),
    stream_options: Type.Optional(Nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }))),
    max_tokens: Type.Optional(TokenCount(1)),
    max_completion_tokens: Type.Optional(TokenCount(1)),
    temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
    top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    n: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 16 }))),
    stop: Type.Optional(StopSchema),
    presence_penalty: Type.Optional(Nullable(Type.Number({ minimum: -2, maximum: 2 }))),
    frequency_penalty: Type.Optional(Nullable(Type.Number({ minimum: -2, maximum: 2 }))),
    logit_bias: Type.Optional(Nullable(Type.Record(Type.String(), Type.Number()))),
    logprobs: Type.Optional(Nullable(Type.Boolean())),
    top_logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
    seed: Type.Optional(Nullable(Type.Integer())),
    tools: Type.Optional(Nullable(Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 512 }))),
    tool_choice: Type.Optional(Nullable(Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown())]))),
    parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
    response_format: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
    ...GatewayFields,
    ...forbidden,
  },
  { additionalProperties: true },
);


/** POST /v1/completions (legacy text completions; OpenAI-compatible providers only). */
export const CompletionBodySchema = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    prompt: Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 2048 }), Type.Array(Type.Integer()), Type.Array(Type.Array(Type.Integer()))]),
    stream: Type.Optional(Nullable(Type.Boolean())),
    stream_options: Type.Optional(Nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }))),
    max_tokens: Type.Optional(TokenCount(0)),
    temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
    top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    n: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 128 }))),
    best_of: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
    stop: Type.Optional(StopSchema),
    echo: Type.Optional(Nullable(Type.Boolean())),
    logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 5 }))),
    suffix: Type.Optional(Nullable(Type.String())),
    seed: Type.Optional(Nullable(Type.Integer())),
    ...GatewayFields,
    ...forbidden,
  },
  { additionalProperties: true },
);


/** POST /v1/embeddings. */
export const EmbeddingBodySchema = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    input: Type.Union([
      Type.String(),
      Type.Array(Type.String(), { minItems: 1, maxItems: 2048 }),
      Type.Array(Type.Integer(), { minItems: 1 }),
      Type.Array(Type.Array(Type.Integer()), { minItems: 1, maxItems: 2048 }),
    ]),
    dimensions: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    encoding_format: Type.Optional(Nullable(Type.Union([Type.Literal('float'), Type.Literal('base64')]))),
    ...GatewayFields,
    ...forbidden,
  },
  { additionalProperties: true },
);


/** POST /v1/responses (OpenAI's Responses API). */
export const ResponsesBodySchema = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    input: Type.Optional(Type.Union([Type.String(), Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 10_000 })])),
    instructions: Type.Optional(Nullable(Type.String())),
    stream: Type.Optional(Nullable(Type.Boolean())),
    store: Type.Optional(Nullable(Type.Boolean())),
    previous_response_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
    max_output_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
    top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    tools: Type.Optional(Nullable(Type.Array(Type.Object({ type: Type.String({ minLength: 1 }) }, { additionalProperties: true }), { maxItems: 512 }))),
    tool_choice: Type.Optional(Nullable(Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown())]))),
    parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
    text: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
    ...GatewayFields,
    ...forbidden,
  },
  { additionalProperties: true },
);
