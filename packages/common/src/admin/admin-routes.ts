// The admin API: every route, its body or query schema (LiteLLM's names and fields), and who may call
// it. The edge registers and validates from this table, policy dispatches and authorizes from it, and
// the access-matrix test walks it, so a new route is covered everywhere by being added here.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { BudgetLimitFields, DurationSchema, IdSchema, LimitFields, Nullable, OptionalId } from './limit-fields.js';

const Name = Type.String({ minLength: 1, maxLength: 256 });
/** A key as a client names it: the `sk-...` value itself, or its hash (`token`). */
const KeyReference = Type.String({ minLength: 1, maxLength: 512 });
const Digits = Type.String({ pattern: '^[0-9]{1,9}$' });
const Flag = Type.Union([Type.Literal('true'), Type.Literal('false')]);
const closed = { additionalProperties: false } as const;

/** The per-request cache controls (body `cache` object) a key may be allowed. */
export const CACHE_CONTROL_NAMES = ['no-cache', 'no-store', 'ttl', 's-maxage', 'namespace', 'use-cache'] as const;
const CacheControlName = Type.Union(CACHE_CONTROL_NAMES.map((name) => Type.Literal(name)));

export const KEY_TYPES = ['llm_api', 'management', 'read_only', 'default'] as const;
const KeyTypeSchema = Type.Union(KEY_TYPES.map((name) => Type.Literal(name)));

/** LiteLLM's `tags` on keys and teams: kept in metadata.tags and recorded with every request of the key. */
const TagsField = Type.Optional(Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100 })));

/**
 * LiteLLM's key `permissions`. Only get_spend_routes changes what a key may do in Sluice (true: a key that
 * is not an admin may read the spend routes); any other permission is refused by name.
 */
export const KeyPermissionsSchema = Type.Object({ get_spend_routes: Type.Optional(Type.Boolean()) }, closed);

/** A name a client may send → the model group it routes to (key `aliases`, team `model_aliases`). */
const ModelAliases = Type.Optional(Nullable(Type.Record(Name, Name)));

const KeyFields = {
  key_alias: Type.Optional(Nullable(Name)),
  duration: Type.Optional(Nullable(DurationSchema)),
  aliases: ModelAliases,
  permissions: Type.Optional(Nullable(KeyPermissionsSchema)),
  team_id: OptionalId,
  user_id: OptionalId,
  organization_id: OptionalId,
  /** LiteLLM's allowed_cache_controls; empty or absent allows every control. */
  allowed_cache_controls: Type.Optional(Nullable(Type.Array(CacheControlName, { maxItems: CACHE_CONTROL_NAMES.length }))),
  // LiteLLM's route-level access: a key_type fills allowed_routes with its route group.
  key_type: Type.Optional(Nullable(KeyTypeSchema)),
  allowed_routes: Type.Optional(Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100 }))),
  // Request fields the key must send on every call; policy can check `user` (the end user) only.
  enforced_params: Type.Optional(Nullable(Type.Array(Type.Literal('user'), { maxItems: 1 }))),
  tags: TagsField,
  // A budget (/budget/new) whose limits fill the ones the key does not set itself.
  budget_id: OptionalId,
  ...LimitFields,
};

/** A key value a caller chooses (LiteLLM's `key`): it must start with `sk-`, as LiteLLM requires. */
export const ChosenKey = Type.String({ pattern: '^sk-[\\x21-\\x7e]+$', minLength: 4, maxLength: 256 });

export const KeyGenerateBody = Type.Object(
  // send_invite_email is accepted as LiteLLM does; Sluice sends no email (it has no mail settings).
  { key: Type.Optional(ChosenKey), send_invite_email: Type.Optional(Type.Boolean()), ...KeyFields },
  closed,
);
export const KeyUpdateBody = Type.Object({ key: KeyReference, ...KeyFields }, closed);
export const KeyRegenerateBody = Type.Object({ key: Type.Optional(KeyReference), ...KeyFields }, closed);
export const KeyDeleteBody = Type.Object(
  { keys: Type.Optional(Type.Array(KeyReference, { maxItems: 1000 })), key_aliases: Type.Optional(Type.Array(Name, { maxItems: 1000 })) },
  closed,
);
export const KeyReferenceBody = Type.Object({ key: KeyReference }, closed);
export const KeyInfoQuery = Type.Object({ key: Type.Optional(KeyReference) }, closed);
export const KeyListQuery = Type.Object(
  {
    team_id: Type.Optional(IdSchema),
    user_id: Type.Optional(IdSchema),
    organization_id: Type.Optional(IdSchema),
    key_alias: Type.Optional(Name),
    page: Type.Optional(Digits),
    size: Type.Optional(Digits),
    return_full_object: Type.Optional(Flag),
  },
  closed,
);

export const TeamMemberSchema = Type.Object(
  {
    role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('user')])),
    user_id: Type.Optional(IdSchema),
    user_email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
  },
  closed,
);

const TeamFields = {
  team_alias: Type.Optional(Nullable(Name)),
  tags: TagsField,
  // Applied after the key's own aliases: a request for the alias routes to the model group it names.
  model_aliases: ModelAliases,
  organization_id: OptionalId,
  ...LimitFields,
};

export const TeamNewBody = Type.Object(
  { team_id: OptionalId, members_with_roles: Type.Optional(Type.Array(TeamMemberSchema, { maxItems: 1000 })), ...TeamFields },
  closed,
);
export const TeamUpdateBody = Type.Object({ team_id: IdSchema, ...TeamFields }, closed);
export const TeamDeleteBody = Type.Object({ team_ids: Type.Array(IdSchema, { minItems: 1, maxItems: 1000 }) }, closed);
export const TeamReferenceBody = Type.Object({ team_id: IdSchema }, closed);
export const TeamMemberAddBody = Type.Object(
  { team_id: IdSchema, member: Type.Union([TeamMemberSchema, Type.Array(TeamMemberSchema, { minItems: 1, maxItems: 1000 })]) },
  closed,
);
export const TeamMemberDeleteBody = Type.Object(
  { team_id: IdSchema, user_id: Type.Optional(IdSchema), user_email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })) },
  closed,
);
export const TeamMemberUpdateBody = Type.Object(
  {
    team_id: IdSchema,
    user_id: Type.Optional(IdSchema),
    user_email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
    role: Type.Union([Type.Literal('admin'), Type.Literal('user')]),
  },
  closed,
);
export const TeamInfoQuery = Type.Object({ team_id: IdSchema }, closed);
export const TeamListQuery = Type.Object({ organization_id: Type.Optional(IdSchema), user_id: Type.Optional(IdSchema) }, closed);

export const UserRoleSchema = Type.Union([
  Type.Literal('proxy_admin'),
  Type.Literal('proxy_admin_viewer'),
  Type.Literal('internal_user'),
  Type.Literal('internal_user_viewer'),
]);

const UserFields = {
  user_alias: Type.Optional(Nullable(Name)),
  user_email: Type.Optional(Nullable(Type.String({ minLength: 3, maxLength: 320 }))),
  user_role: Type.Optional(UserRoleSchema),
  organization_id: OptionalId,
  ...LimitFields,
};

export const UserNewBody = Type.Object(
  {
    user_id: OptionalId,
    teams: Type.Optional(Type.Array(IdSchema, { maxItems: 1000 })),
    // LiteLLM creates a key for the new user unless told not to.
    auto_create_key: Type.Optional(Type.Boolean()),
    key_alias: Type.Optional(Nullable(Name)),
    duration: Type.Optional(Nullable(DurationSchema)),
    aliases: ModelAliases,
    ...UserFields,
  },
  closed,
);
export const UserUpdateBody = Type.Object({ user_id: IdSchema, ...UserFields }, closed);
export const UserDeleteBody = Type.Object({ user_ids: Type.Array(IdSchema, { minItems: 1, maxItems: 1000 }) }, closed);
export const UserInfoQuery = Type.Object({ user_id: IdSchema }, closed);
export const UserListQuery = Type.Object(
  { role: Type.Optional(UserRoleSchema), team_id: Type.Optional(IdSchema), page: Type.Optional(Digits), page_size: Type.Optional(Digits) },
  closed,
);

const OrganizationFields = { budget_id: OptionalId, ...LimitFields };
export const OrganizationNewBody = Type.Object({ organization_id: OptionalId, organization_alias: Name, ...OrganizationFields }, closed);
export const OrganizationUpdateBody = Type.Object(
  { organization_id: IdSchema, organization_alias: Type.Optional(Name), ...OrganizationFields },
  closed,
);
export const OrganizationDeleteBody = Type.Object({ organization_ids: Type.Array(IdSchema, { minItems: 1, maxItems: 1000 }) }, closed);
// Sluice keeps one organisation per user and no organisation roles yet: members are internal users
// (LiteLLM's org_admin, which may manage the organisation, is refused by name).
const OrganizationMemberRole = Type.Union([Type.Literal('internal_user'), Type.Literal('internal_user_viewer')]);
export const OrganizationMemberSchema = Type.Object(
  { user_id: Type.Optional(IdSchema), user_email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })), role: Type.Optional(OrganizationMemberRole) },
  closed,
);
export const OrganizationMemberAddBody = Type.Object(
  {
    organization_id: IdSchema,
    member: Type.Union([OrganizationMemberSchema, Type.Array(OrganizationMemberSchema, { minItems: 1, maxItems: 1000 })]),
  },
  closed,
);
export const OrganizationMemberUpdateBody = Type.Object(
  { organization_id: IdSchema, user_id: Type.Optional(IdSchema), user_email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })), role: Type.Optional(OrganizationMemberRole) },
  closed,
);
export const OrganizationMemberDeleteBody = Type.Object(
  { organization_id: IdSchema, user_id: Type.Optional(IdSchema), user_email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })) },
  closed,
);
// LiteLLM's reset_to may be any amount up to the current spend; Sluice resets to zero only (a new period).
export const KeyResetSpendBody = Type.Object({ key: Type.Optional(KeyReference), reset_to: Type.Optional(Type.Number({ minimum: 0, maximum: 0 })) }, closed);
export const OrganizationInfoQuery = Type.Object({ organization_id: IdSchema }, closed);
export const OrganizationListQuery = Type.Object({}, closed);

// LiteLLM's budgets: reusable limits that keys, organisations, end users and tags link by budget_id.
// (model_max_budget has another shape on a budget than on a key in LiteLLM; it is refused by name.)
export const BudgetNewBody = Type.Object({ budget_id: Type.Optional(IdSchema), ...BudgetLimitFields }, closed);
export const BudgetUpdateBody = Type.Object({ budget_id: IdSchema, ...BudgetLimitFields }, closed);
export const BudgetInfoBody = Type.Object({ budgets: Type.Array(IdSchema, { minItems: 1, maxItems: 1000 }) }, closed);
export const BudgetDeleteBody = Type.Object({ id: IdSchema }, closed);
export const BudgetListQuery = Type.Object({}, closed);

// LiteLLM's customers: end users, named by the request's `user`. allowed_model_region and
// default_model (region routing) are refused by name.
const CustomerFields = { alias: Type.Optional(Nullable(Name)), blocked: Type.Optional(Type.Boolean()), budget_id: OptionalId, ...BudgetLimitFields };
export const CustomerNewBody = Type.Object({ user_id: IdSchema, ...CustomerFields }, closed);
export const CustomerUpdateBody = Type.Object({ user_id: IdSchema, ...CustomerFields }, closed);
export const CustomerInfoQuery = Type.Object({ end_user_id: IdSchema }, closed);
export const CustomerIdsBody = Type.Object({ user_ids: Type.Array(IdSchema, { minItems: 1, maxItems: 1000 }) }, closed);
export const CustomerListQuery = Type.Object({}, closed);

// LiteLLM's tags with budgets. `models` and `model_info` (tag routing lives in the config) are refused by name.
const TagFields = { description: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))), budget_id: OptionalId, ...BudgetLimitFields };
const TagName = Type.String({ minLength: 1, maxLength: 256 });
export const TagNewBody = Type.Object({ name: TagName, ...TagFields }, closed);
export const TagUpdateBody = Type.Object({ name: TagName, ...TagFields }, closed);
export const TagInfoBody = Type.Object({ names: Type.Array(TagName, { minItems: 1, maxItems: 1000 }) }, closed);
export const TagDeleteBody = Type.Object({ name: TagName }, closed);
export const TagListQuery = Type.Object({}, closed);

export type BudgetNewRequest = Static<typeof BudgetNewBody>;
export type BudgetUpdateRequest = Static<typeof BudgetUpdateBody>;
export type BudgetInfoRequest = Static<typeof BudgetInfoBody>;
export type BudgetDeleteRequest = Static<typeof BudgetDeleteBody>;
export type CustomerNewRequest = Static<typeof CustomerNewBody>;
export type CustomerUpdateRequest = Static<typeof CustomerUpdateBody>;
export type CustomerInfoRequest = Static<typeof CustomerInfoQuery>;
export type CustomerIdsRequest = Static<typeof CustomerIdsBody>;
export type TagNewRequest = Static<typeof TagNewBody>;
export type TagUpdateRequest = Static<typeof TagUpdateBody>;
export type TagInfoRequest = Static<typeof TagInfoBody>;
export type TagDeleteRequest = Static<typeof TagDeleteBody>;
export type KeyGenerateRequest = Static<typeof KeyGenerateBody>;
export type KeyUpdateRequest = Static<typeof KeyUpdateBody>;
export type KeyRegenerateRequest = Static<typeof KeyRegenerateBody>;
export type KeyDeleteRequest = Static<typeof KeyDeleteBody>;
export type KeyReferenceRequest = Static<typeof KeyReferenceBody>;
export type KeyInfoRequest = Static<typeof KeyInfoQuery>;
export type KeyListRequest = Static<typeof KeyListQuery>;
export type TeamMember = Static<typeof TeamMemberSchema>;
export type TeamNewRequest = Static<typeof TeamNewBody>;
export type TeamUpdateRequest = Static<typeof TeamUpdateBody>;
export type TeamDeleteRequest = Static<typeof TeamDeleteBody>;
export type TeamReferenceRequest = Static<typeof TeamReferenceBody>;
export type TeamMemberAddRequest = Static<typeof TeamMemberAddBody>;
export type TeamMemberDeleteRequest = Static<typeof TeamMemberDeleteBody>;
export type TeamInfoRequest = Static<typeof TeamInfoQuery>;
export type TeamListRequest = Static<typeof TeamListQuery>;
export type UserRole = Static<typeof UserRoleSchema>;
export type UserNewRequest = Static<typeof UserNewBody>;
export type UserUpdateRequest = Static<typeof UserUpdateBody>;
export type UserDeleteRequest = Static<typeof UserDeleteBody>;
export type UserInfoRequest = Static<typeof UserInfoQuery>;
export type UserListRequest = Static<typeof UserListQuery>;
export type OrganizationNewRequest = Static<typeof OrganizationNewBody>;
export type OrganizationUpdateRequest = Static<typeof OrganizationUpdateBody>;
export type OrganizationDeleteRequest = Static<typeof OrganizationDeleteBody>;
export type OrganizationInfoRequest = Static<typeof OrganizationInfoQuery>;
export type OrganizationMember = Static<typeof OrganizationMemberSchema>;
export type OrganizationMemberAddRequest = Static<typeof OrganizationMemberAddBody>;
export type OrganizationMemberUpdateRequest = Static<typeof OrganizationMemberUpdateBody>;
export type OrganizationMemberDeleteRequest = Static<typeof OrganizationMemberDeleteBody>;
export type TeamMemberUpdateRequest = Static<typeof TeamMemberUpdateBody>;
export type KeyResetSpendRequest = Static<typeof KeyResetSpendBody>;

/**
 * `admin`: the master key or a key whose user has the proxy_admin role. `own-key`: also any valid key
 * asking about itself (a non-admin key may read its own /key/info and nothing else).
 */
export type AdminAccess = 'admin' | 'own-key';

export interface AdminRoute {
  method: 'GET' | 'POST';
  /** The route as policy dispatches it; the edge may also serve aliases (see `paths`). */
  route: string;
  /** Paths the edge serves for this route, `:key` style parameters becoming query fields. */
  paths: readonly string[];
  body?: TSchema;
  query?: TSchema;
  access: AdminAccess;
  /**
   * A POST that only reads (LiteLLM's `POST /budget/info`). Every other POST creates, changes or deletes
   * something, and general_settings.disable_key_management refuses it; see `changesState`.
   */
  readOnly?: boolean;
}

/**
 * Does this route create, change or delete anything? Decided by its method (a GET only reads), so a
 * route added to the table is covered by disable_key_management without being listed anywhere.
 */
export function changesState(route: Pick<AdminRoute, 'method' | 'readOnly'>): boolean {
  return route.method !== 'GET' && route.readOnly !== true;
}

const post = (route: string, body: TSchema, paths: readonly string[] = [route]): AdminRoute => ({ method: 'POST', route, paths, body, access: 'admin' });
const get = (route: string, query: TSchema, access: AdminAccess = 'admin'): AdminRoute => ({ method: 'GET', route, paths: [route], query, access });

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  post('/key/generate', KeyGenerateBody),
  post('/key/update', KeyUpdateBody),
  post('/key/regenerate', KeyRegenerateBody, ['/key/regenerate', '/key/:key/regenerate']),
  post('/key/delete', KeyDeleteBody),
  post('/key/block', KeyReferenceBody),
  post('/key/unblock', KeyReferenceBody),
  get('/key/info', KeyInfoQuery, 'own-key'),
  get('/key/list', KeyListQuery),
  post('/key/reset_spend', KeyResetSpendBody, ['/key/reset_spend', '/key/:key/reset_spend']),
  post('/team/new', TeamNewBody),
  post('/team/update', TeamUpdateBody),
  post('/team/delete', TeamDeleteBody),
  post('/team/block', TeamReferenceBody),
  post('/team/unblock', TeamReferenceBody),
  post('/team/member_add', TeamMemberAddBody),
  post('/team/member_delete', TeamMemberDeleteBody),
  post('/team/member_update', TeamMemberUpdateBody),
  get('/team/info', TeamInfoQuery),
  get('/team/list', TeamListQuery),
  post('/user/new', UserNewBody),
  post('/user/update', UserUpdateBody),
  post('/user/delete', UserDeleteBody),
  get('/user/info', UserInfoQuery),
  get('/user/list', UserListQuery),
  post('/organization/new', OrganizationNewBody),
  post('/organization/update', OrganizationUpdateBody),
  post('/organization/delete', OrganizationDeleteBody),
  get('/organization/info', OrganizationInfoQuery),
  get('/organization/list', OrganizationListQuery),
  post('/organization/member_add', OrganizationMemberAddBody),
  post('/organization/member_update', OrganizationMemberUpdateBody),
  post('/organization/member_delete', OrganizationMemberDeleteBody),
  post('/budget/new', BudgetNewBody),
  post('/budget/update', BudgetUpdateBody),
  { ...post('/budget/info', BudgetInfoBody), readOnly: true },
  post('/budget/delete', BudgetDeleteBody),
  get('/budget/list', BudgetListQuery),
  // LiteLLM serves its customer routes under /end_user/* too.
  post('/customer/new', CustomerNewBody, ['/customer/new', '/end_user/new']),
  post('/customer/update', CustomerUpdateBody, ['/customer/update', '/end_user/update']),
  post('/customer/delete', CustomerIdsBody, ['/customer/delete', '/end_user/delete']),
  post('/customer/block', CustomerIdsBody, ['/customer/block', '/end_user/block']),
  post('/customer/unblock', CustomerIdsBody, ['/customer/unblock', '/end_user/unblock']),
  { ...get('/customer/info', CustomerInfoQuery), paths: ['/customer/info', '/end_user/info'] },
  { ...get('/customer/list', CustomerListQuery), paths: ['/customer/list', '/end_user/list'] },
  post('/tag/new', TagNewBody),
  post('/tag/update', TagUpdateBody),
  { ...post('/tag/info', TagInfoBody), readOnly: true },
  post('/tag/delete', TagDeleteBody),
  get('/tag/list', TagListQuery),
];

export function adminRouteKey(method: string, route: string): string {
  return `${method.toUpperCase()} ${route}`;
}
