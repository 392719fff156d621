// LiteLLM's team model_aliases and key aliases through a real stack: a team key asking for the alias is
// routed to the model group it names (the ledger records that group), the key's own alias wins, a key of
// another team cannot use the alias, /team/update changes it live, and /v1/models lists model groups, as
// LiteLLM's does, not alias names.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type PolicyStack, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

let stack: PolicyStack;

beforeAll(async () => {
  stack = await startPolicyStack('modelaliases');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function modelGroupOf(requestId: string | null): Promise<string | undefined> {
  let group: string | undefined;
  await waitFor(
    async () => {
      group = (await stack.backends.sql.query<{ model_group: string }>('SELECT model_group FROM spend_logs WHERE request_id = $1', [requestId])).rows[0]?.model_group;
      return group !== undefined;
    },
    { timeoutMs: 30_000, message: `request ${requestId} did not reach the ledger` },
  );
  return group;
}

describe('team model_aliases', () => {
  test('a team key asking for the alias routes to the model group it names; other keys cannot', async () => {
    const created = await stack.admin('POST', '/team/new', { team_alias: 'Aliased', model_aliases: { 'house-model': 'other-model' } });
    expect(created.status).toBe(200);
    expect(created.body.model_aliases).toEqual({ 'house-model': 'other-model' });
    const team = created.body;
    expect((await stack.admin('GET', `/team/info?team_id=${team.team_id}`)).body.team_info.model_aliases).toEqual({ 'house-model': 'other-model' });

    const key = (await stack.admin('POST', '/key/generate', { team_id: team.team_id })).body;
    const reply = await stack.chat(key.key, { model: 'house-model' });
    expect(reply.status).toBe(200);
    expect(await modelGroupOf(reply.headers.get('x-request-id'))).toBe('other-model');

    const outsider = (await stack.admin('POST', '/key/generate', {})).body;
    expect((await stack.chat(outsider.key, { model: 'house-model' })).status).toBe(404);

    // The key's own aliases come first.
    const ownAlias = (await stack.admin('POST', '/key/generate', { team_id: team.team_id, aliases: { 'house-model': 'gpt-test' } })).body;
    const own = await stack.chat(ownAlias.key, { model: 'house-model' });
    expect(own.status).toBe(200);
    expect(await modelGroupOf(own.headers.get('x-request-id'))).toBe('gpt-test');
  });

  test('/team/update changes the aliases of every key of the team; null clears them', async () => {
    const team = (await stack.admin('POST', '/team/new', { model_aliases: { fast: 'gpt-test' } })).body;
    const key = (await stack.admin('POST', '/key/generate', { team_id: team.team_id })).body;
    expect((await stack.chat(key.key, { model: 'fast' })).status).toBe(200);
    const updated = await stack.admin('POST', '/team/update', { team_id: team.team_id, model_aliases: { fast: 'other-model' } });
    expect(updated.body.model_aliases).toEqual({ fast: 'other-model' });
    await waitFor(async () => {
      const reply = await stack.chat(key.key, { model: 'fast' });
      return reply.status === 200 && (await modelGroupOf(reply.headers.get('x-request-id'))) === 'other-model';
    }, { timeoutMs: 15_000, message: 'the new alias did not reach policy' });
    expect((await stack.admin('POST', '/team/update', { team_id: team.team_id, model_aliases: null })).body.model_aliases).toEqual({});
    await waitFor(async () => (await stack.chat(key.key, { model: 'fast' })).status === 404, { timeoutMs: 15_000, message: 'the cleared alias still routes' });
  });

  test("a team limited to a model group may use its alias for it; /v1/models lists the group, as LiteLLM's does", async () => {
    const team = (await stack.admin('POST', '/team/new', { models: ['gpt-test'], model_aliases: { 'house-model': 'gpt-test', sneaky: 'other-model' } })).body;
    const key = (await stack.admin('POST', '/key/generate', { team_id: team.team_id })).body;
    expect((await stack.chat(key.key, { model: 'house-model' })).status).toBe(200);
    // An alias does not widen the team's models.
    expect((await stack.chat(key.key, { model: 'sneaky' })).status).toBe(403);
    const models = await stack.admin('GET', '/v1/models', undefined, key.key);
    expect(models.status).toBe(200);
    expect(models.body.data.map((model: { id: string }) => model.id)).toEqual(['gpt-test']);
  });

  test('bad model_aliases are refused by name', async () => {
    const reply = await stack.admin('POST', '/team/new', { model_aliases: { fast: 42 } });
    expect(reply.status).toBe(400);
    expect(reply.body.error.param).toContain('model_aliases');
  });
});
