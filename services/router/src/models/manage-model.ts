import { GatewayError, type ModelEntry } from '@sluice/common';
import { checkedEntry, storedModelBody, type StoredModels } from './stored-models.js';

export type ModelAction = 'new' | 'update' | 'delete';

export interface ModelManagerOptions {
  stored: StoredModels;
  /** Throws (ConfigError) when the running model list plus this entry would not route; nothing is written then. */
  check(entry: ModelEntry, replacing?: string): void;
  /** After a write: this replica swaps the new list in, and the others are told. */
  changed(): Promise<void>;
}

type Body = Record<string, unknown>;

const asObject = (value: unknown): Body => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : {});

function checkRouting(options: ModelManagerOptions, entry: ModelEntry, replacing?: string): void {
  try {
    options.check(entry, replacing);
  } catch (error) {
    throw new GatewayError('invalid_request', error instanceof Error ? error.message : 'the model cannot be routed');
  }
}

/** LiteLLM's /model/new, /model/update and /model/delete on the stored models. */
export async function manageModel(action: ModelAction, body: Body, caller: string, options: ModelManagerOptions): Promise<unknown> {
  const { stored } = options;
  switch (action) {
    case 'new': {
      const entry = checkedEntry({ model_name: body.model_name, litellm_params: body.litellm_params, model_info: body.model_info });
      checkRouting(options, entry);
      const row = await stored.insert(entry, caller);
      await options.changed();
      return storedModelBody(row, entry.litellm_params);
    }
    case 'update': {
      // LiteLLM's updateDeployment: model_info.id names the model; given fields replace, others stay.
      const id = asObject(body.model_info).id ?? body.id;
      if (typeof id !== 'string' || id === '') throw new GatewayError('invalid_request', 'model_info.id is required', { param: 'model_info.id' });
      const existing = await stored.get(id);
      if (!existing) throw new GatewayError('not_found', `There is no stored model with id "${id}".`);
      const entry = checkedEntry({
        model_name: body.model_name ?? existing.entry.model_name,
        litellm_params: { ...existing.entry.litellm_params, ...asObject(body.litellm_params) },
        model_info: { ...existing.row.model_info, ...asObject(body.model_info), id },
      });
      checkRouting(options, entry, id);
      const row = await stored.update(id, entry, caller);
      if (!row) throw new GatewayError('not_found', `There is no stored model with id "${id}".`);
      await options.changed();
      return storedModelBody(row, entry.litellm_params);
    }
    case 'delete': {
      const id = body.id;
      if (typeof id !== 'string' || id === '') throw new GatewayError('invalid_request', 'id is required', { param: 'id' });
      if (!(await stored.delete(id))) throw new GatewayError('not_found', `There is no stored model with id "${id}".`);
      await options.changed();
      return { message: `Model: ${id} deleted successfully` };
    }
  }
}
