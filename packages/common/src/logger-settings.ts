import type { GatewayConfig } from './config/config-schema.js';
import { type Logger, messageContentPaths, CREDENTIAL_PATHS } from './logger.js';
import type { Settings } from './settings.js';

/** LOG_LEVEL when set, else litellm_settings.log_level (LiteLLM writes it in capitals), else info. */
export function logLevelOf(settings: Settings, config: GatewayConfig): string {
  return (settings.logLevel ?? config.litellm_settings?.log_level ?? 'info').toLowerCase();
}

/** Prompts and responses may reach logs and spans only when the config says so explicitly. */
export function messageLoggingOn(config: GatewayConfig): boolean {
  return config.litellm_settings?.turn_off_message_logging === false;
}

/**
 * The service's logger once the config is known: its level, and message contents redacted unless
 * message logging is on. (The logger that reads the config redacts them whatever it says.)
 */
export function configuredLogger(base: Logger, settings: Settings, config: GatewayConfig): Logger {
  const logMessages = messageLoggingOn(config);
  return base.child(
    {},
    {
      level: logLevelOf(settings, config),
      redact: { paths: logMessages ? CREDENTIAL_PATHS : [...CREDENTIAL_PATHS, ...messageContentPaths()], censor: '[redacted]' },
    },
  );
}
