import { ConfigError, type GatewayConfig, type LangfuseSettings } from '@sluice/common';

export interface LangfuseExportConfig {
  settings: LangfuseSettings;
  /** Prompts and responses go along (litellm_settings.turn_off_message_logging: false). */
  messages: boolean;
}

const CALLBACK_NAMES = new Set(['langfuse', 'langfuse_otel']);

/**
 * Langfuse export is on when the config names it as a callback, the way LiteLLM configs do
 * (`litellm_settings.success_callback: ["langfuse"]`, or `callbacks` / `failure_callback`); every request
 * is exported either way, failures as ERROR-level generations. Without keys it would only pile traces
 * up, so start-up fails instead.
 */
export function langfuseExportConfig(config: GatewayConfig, settings: LangfuseSettings): LangfuseExportConfig | undefined {
  const litellm = config.litellm_settings ?? {};
  const named = [...(litellm.success_callback ?? []), ...(litellm.failure_callback ?? []), ...(litellm.callbacks ?? [])];
  if (!named.some((name) => CALLBACK_NAMES.has(name))) return undefined;
  if (!settings.publicKey || !settings.secretKey) {
    throw new ConfigError('litellm_settings names the "langfuse" callback but LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY are not both set');
  }
  return { settings, messages: litellm.turn_off_message_logging === false };
}
