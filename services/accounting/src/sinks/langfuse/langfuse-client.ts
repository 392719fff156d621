import type { LangfuseSettings } from '@sluice/common';
import type { OtlpTraceRequest } from './otlp-traces.js';

const REQUEST_TIMEOUT_MS = 30_000;

export class LangfuseExportError extends Error {
  override readonly name = 'LangfuseExportError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface LangfuseClient {
  /** Sends one OTLP/HTTP JSON export; throws unless Langfuse answered 2xx. */
  sendTraces(body: OtlpTraceRequest): Promise<void>;
}

/**
 * POST {LANGFUSE_HOST}/api/public/otel/v1/traces with Basic auth (public key : secret key). This runs in
 * the background export worker, never on a request's path, so the platform fetch is good enough here.
 */
export function createLangfuseClient(settings: LangfuseSettings): LangfuseClient {
  const url = `${settings.host}/api/public/otel/v1/traces`;
  const authorization = `Basic ${Buffer.from(`${settings.publicKey ?? ''}:${settings.secretKey ?? ''}`).toString('base64')}`;
  return {
    async sendTraces(body) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      // The answer's body is not needed, but it must be read for the connection to be reused.
      const answer = await response.text().catch(() => '');
      if (!response.ok) {
        throw new LangfuseExportError(`Langfuse answered ${response.status}: ${answer.slice(0, 200)}`, response.status);
      }
    },
  };
}
