// The budget and limit fields that keys, users, teams and organisations share, with LiteLLM's names.
// Money is in USD here, as LiteLLM's API has it; it is stored as integer micro-USD.
import { type Static, type TSchema, Type } from '@sinclair/typebox';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** "30s", "30m", "30h", "30d", "2w", "1mo". */
export const DURATION_PATTERN = '^[1-9][0-9]{0,5}(s|m|h|d|w|mo)$';
export const DurationSchema = Type.String({ pattern: DURATION_PATTERN });

const Usd = Type.Number({ minimum: 0, maximum: 1_000_000_000 });
const Count = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 });
const Name = Type.String({ minLength: 1, maxLength: 256 });

export const ModelBudgetSchema = Type.Object(
  { budget_limit: Usd, time_period: Type.Optional(Nullable(DurationSchema)) },
  { additionalProperties: false },
);

export const LimitFields = {
  models: Type.Optional(Type.Array(Name, { maxItems: 1000 })),
  max_budget: Type.Optional(Nullable(Usd)),
  soft_budget: Type.Optional(Nullable(Usd)),
  budget_duration: Type.Optional(Nullable(DurationSchema)),
  rpm_limit: Type.Optional(Nullable(Count)),
  tpm_limit: Type.Optional(Nullable(Count)),
  max_parallel_requests: Type.Optional(Nullable(Count)),
  model_max_budget: Type.Optional(Nullable(Type.Record(Name, ModelBudgetSchema))),
  model_rpm_limit: Type.Optional(Nullable(Type.Record(Name, Count))),
  model_tpm_limit: Type.Optional(Nullable(Type.Record(Name, Count))),
  metadata: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  blocked: Type.Optional(Type.Boolean()),
};

/** What a LiteLLM budget row holds (budgets, end users and tags take these). */
export const BudgetLimitFields = {
  max_budget: LimitFields.max_budget,
  soft_budget: LimitFields.soft_budget,
  budget_duration: LimitFields.budget_duration,
  rpm_limit: LimitFields.rpm_limit,
  tpm_limit: LimitFields.tpm_limit,
  max_parallel_requests: LimitFields.max_parallel_requests,
};

export const IdSchema = Type.String({ minLength: 1, maxLength: 256 });
export const OptionalId = Type.Optional(Nullable(IdSchema));

export const LimitFieldsSchema = Type.Object(LimitFields);
export type LimitFieldsInput = Static<typeof LimitFieldsSchema>;
