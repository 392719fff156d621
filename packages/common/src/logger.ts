import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

// Keys and message contents never reach a log line: credentials are censored wherever they appear in
// headers, and prompt/response fields are removed unless message logging is explicitly on.
export const CREDENTIAL_PATHS = [
  'req.headers.authorization',
  'req.headers["api-key"]',
  'req.headers["x-api-key"]',
  'req.headers["x-goog-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["api-key"]',
  'headers["x-api-key"]',
  'api_key',
  'apiKey',
  'master_key',
  'key',
];

const CONTENT_PATHS = [
  'messages',
  'prompt',
  'input',
  'body.messages',
  'body.prompt',
  'body.input',
  'response',
  'content',
];

const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 100;

/** Fields that carry prompts or responses, removed from log lines unless message logging is on. */
export function messageContentPaths(): string[] {
  return [...CONTENT_PATHS];
}

export interface LoggerOptions {
  service: string;
  level?: string;
  /** When true, prompt and response fields are kept (litellm_settings.turn_off_message_logging: false). */
  logMessages?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const paths = options.logMessages ? CREDENTIAL_PATHS : [...CREDENTIAL_PATHS, ...CONTENT_PATHS];
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      redact: { paths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    // Lines are gathered and written a few kilobytes (or a tenth of a second) at a time: a write(2) per
    // request line was a tenth of the edge's CPU under load. Pino flushes what is left on exit.
    pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
}
