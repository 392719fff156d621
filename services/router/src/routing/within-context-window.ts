import { GatewayError } from '@sluice/common';
import type { Deployment } from '../providers/provider-adapter.js';

/**
 * router_settings.enable_pre_call_checks: leave out deployments whose context window
 * (model_info.max_input_tokens, else max_tokens) is smaller than the prompt. The prompt is estimated
 * from the body's size (about four bytes a token), so only clearly oversized prompts are kept away; when
 * no deployment fits, the error is context_window_exceeded, which context_window_fallbacks act on.
 */
export function withinContextWindow(deployments: readonly Deployment[], promptTokens: number): readonly Deployment[] {
  const fitting = deployments.filter((deployment) => {
    const window = deployment.info.max_input_tokens ?? deployment.info.max_tokens;
    return window === undefined || promptTokens <= window;
  });
  if (fitting.length === 0 && deployments.length > 0) {
    throw new GatewayError('context_window_exceeded', `The prompt (about ${promptTokens} tokens) is longer than the context window of every deployment.`);
  }
  return fitting;
}
