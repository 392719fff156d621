import { CATALOGUE, type SettingStatus, SUPPORTED_CALLBACKS } from './litellm-settings-catalogue.js';

export interface ConfigAudit {
  /** Recognised LiteLLM settings Sluice does not implement, by path (deployments by index). */
  ignored: string[];
  /** Settings Sluice does not implement whose absence weakens security or spend control. */
  refused: string[];
  /** Keys outside the catalogue. */
  unknown: string[];
  /** Refused settings the config lets through with general_settings.sluice_ignore_unsupported. */
  allowed: string[];
}

const MODEL_ENTRY_KEYS = new Set(['model_name', 'litellm_params', 'model_info']);

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sectionAt(path: string): Record<string, SettingStatus> | undefined {
  return CATALOGUE.find((entry) => entry.path === path)?.section;
}

/**
 * Sorts every key of a (resolved) config into supported, ignored, refused and unknown. Deployment
 * settings are named by index (`model_list[2].litellm_params.tags`); the ignore list may name them
 * either way, by index or as `model_list[].litellm_params.tags` for every deployment.
 */
export function auditConfig(document: Record<string, unknown>): ConfigAudit {
  const audit: ConfigAudit = { ignored: [], refused: [], unknown: [], allowed: [] };
  const general = isMapping(document.general_settings) ? document.general_settings : {};
  const ignoreList = Array.isArray(general.sluice_ignore_unsupported) ? general.sluice_ignore_unsupported.map(String) : [];
  const ignore = new Set(ignoreList);

  const visit = (pattern: string, shown: string, node: Record<string, unknown>) => {
    const section = sectionAt(pattern)!;
    for (const key of Object.keys(node)) {
      const path = shown === '' ? key : `${shown}.${key}`;
      const status = Object.hasOwn(section, key) ? section[key] : undefined;
      if (status === undefined) audit.unknown.push(path);
      else if (status === 'ignored') audit.ignored.push(path);
      else if (status === 'refused') {
        const generic = pattern === '' ? key : `${pattern}.${key}`;
        if (ignore.has(path) || ignore.has(generic)) audit.allowed.push(path);
        else audit.refused.push(path);
      }
    }
  };

  visit('', '', document);
  if (Array.isArray(document.model_list)) {
    document.model_list.forEach((entry, index) => {
      if (!isMapping(entry)) return;
      for (const key of Object.keys(entry)) if (!MODEL_ENTRY_KEYS.has(key)) audit.unknown.push(`model_list[${index}].${key}`);
      if (isMapping(entry.litellm_params)) visit('model_list[].litellm_params', `model_list[${index}].litellm_params`, entry.litellm_params);
      if (isMapping(entry.model_info)) visit('model_list[].model_info', `model_list[${index}].model_info`, entry.model_info);
    });
  }
  for (const name of ['router_settings', 'litellm_settings', 'general_settings'] as const) {
    const section = document[name];
    if (isMapping(section)) visit(name, name, section);
  }
  const litellm = document.litellm_settings;
  if (isMapping(litellm) && isMapping(litellm.cache_params)) {
    visit('litellm_settings.cache_params', 'litellm_settings.cache_params', litellm.cache_params);
  }
  if (isMapping(litellm)) {
    for (const list of ['callbacks', 'success_callback', 'failure_callback'] as const) {
      const names = litellm[list];
      if (!Array.isArray(names)) continue;
      for (const name of names) if (!SUPPORTED_CALLBACKS.has(String(name))) audit.ignored.push(`litellm_settings.${list}: ${String(name)}`);
    }
  }
  return audit;
}

/** The start-up warnings of an audit, one line each. */
export function auditWarnings(audit: ConfigAudit): string[] {
  const warnings: string[] = [];
  if (audit.ignored.length > 0) {
    warnings.push(`LiteLLM settings Sluice does not implement, ignored: ${audit.ignored.join(', ')}`);
  }
  if (audit.allowed.length > 0) {
    warnings.push(
      `security or spend settings Sluice does not implement, ignored as general_settings.sluice_ignore_unsupported allows: ${audit.allowed.join(', ')}`,
    );
  }
  if (audit.unknown.length > 0) warnings.push(`unknown settings, ignored: ${audit.unknown.join(', ')}`);
  return warnings;
}
