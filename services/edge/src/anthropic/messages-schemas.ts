// Request bodies of Anthropic's Messages routes. As on the OpenAI routes, known fields are type-checked
// (a wrong type is a 400) and unknown ones pass through: Anthropic adds fields with each beta. Content
// blocks are checked for their type only; the provider checks the rest of each block.
import { type TSchema, Type } from '@sinclair/typebox';
import { FORBIDDEN_FIELDS } from '../openai/request-schemas.js';

const forbidden = Object.fromEntries(FORBIDDEN_FIELDS.map((name) => [name, Type.Optional(Type.Never())]));

const Block = Type.Object({ type: Type.String({ minLength: 1 }) }, { additionalProperties: true });

const Content = Type.Union([Type.String(), Type.Array(Block, { maxItems: 10_000 })]);

const MessageSchema = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
    content: Content,
  },
  { additionalProperties: true },
);

const ToolSchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: true });

const MessagesFields = {
  model: Type.String({ minLength: 1, maxLength: 256 }),
  messages: Type.Array(MessageSchema, { minItems: 1, maxItems: 10_000 }),
  system: Type.Optional(Type.Union([Type.String(), Type.Array(Block)])),
  tools: Type.Optional(Type.Array(ToolSchema, { maxItems: 512 })),
  tool_choice: Type.Optional(Block),
  metadata: Type.Optional(Type.Object({ user_id: Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()])) }, { additionalProperties: true })),
  thinking: Type.Optional(Block),
  ...forbidden,
};

/** POST /v1/messages. */
export const MessagesBodySchema: TSchema = Type.Object(
  {
    ...MessagesFields,
    max_tokens: Type.Integer({ minimum: 1 }),
    stream: Type.Optional(Type.Boolean()),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0 })),
    stop_sequences: Type.Optional(Type.Array(Type.String(), { maxItems: 8191 })),
  },
  { additionalProperties: true },
);

/** POST /v1/messages/count_tokens: the same body without the sampling fields (max_tokens not needed). */
export const CountTokensBodySchema: TSchema = Type.Object(MessagesFields, { additionalProperties: true });
