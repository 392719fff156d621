import { CallType } from '@sluice/proto';
import type { ProviderAdapter } from '../provider-adapter.js';
import { ANTHROPIC_MESSAGES_TRANSLATION } from './anthropic-messages-translation.js';
import { RESPONSES_TRANSLATION } from './responses-translation.js';
import { createInboundBridge, type InboundTranslation } from './inbound-bridge.js';

const TRANSLATIONS: Partial<Record<CallType, InboundTranslation>> = {
  [CallType.CALL_TYPE_ANTHROPIC_MESSAGES]: ANTHROPIC_MESSAGES_TRANSLATION,
  [CallType.CALL_TYPE_RESPONSES]: RESPONSES_TRANSLATION,
};

// One bridge per adapter and format, made on first use: adapters are shared by every deployment.
const bridges = new WeakMap<ProviderAdapter, Map<CallType, ProviderAdapter>>();

/**
 * The adapter that answers `callType` on a deployment of `adapter`: the adapter itself where it speaks
 * the inbound format, else the adapter behind a translation through chat completions.
 */
export function adapterForCall(adapter: ProviderAdapter, callType: CallType): ProviderAdapter {
  const translation = TRANSLATIONS[callType];
  if (!translation || adapter.nativeCallTypes?.has(callType)) return adapter;
  let byType = bridges.get(adapter);
  if (!byType) {
    byType = new Map();
    bridges.set(adapter, byType);
  }
  let bridge = byType.get(callType);
  if (!bridge) {
    bridge = createInboundBridge(adapter, translation);
    byType.set(callType, bridge);
  }
  return bridge;
}
