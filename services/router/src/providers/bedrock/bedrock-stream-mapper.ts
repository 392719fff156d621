import type { AdapterContext, DecodedEvent, StreamMapper, TokenUsage } from '../provider-adapter.js';
import { createChunkWriter } from '../shared/openai-chunk-writer.js';
import { bedrockStreamError } from './bedrock-error.js';
import { type BedrockUsage, readBedrockUsage } from './bedrock-usage.js';
import { mapBedrockFinishReason } from './map-bedrock-finish-reason.js';

interface ConverseStreamEvent {
  role?: string;
  contentBlockIndex?: number;
  start?: { toolUse?: { toolUseId?: string; name?: string } };
  delta?: { text?: string; toolUse?: { input?: string }; reasoningContent?: { text?: string } };
  stopReason?: string;
  usage?: BedrockUsage;
}

/**
 * Bedrock ConverseStream events (decoded from the binary event stream) → OpenAI chunks. Tool input
 * arrives as pieces of a JSON string in contentBlockDelta and is forwarded as argument deltas under the
 * tool call's stable index. Usage comes in the `metadata` event after messageStop.
 */
export function createBedrockStreamMapper(context: AdapterContext): StreamMapper {
  const writer = createChunkWriter(context);
  const tools = new Map<number, { toolIndex: number; argumentsSent: boolean }>();
  let usage: TokenUsage | undefined;
  let finishReason = '';
  let started = false;
  let done = false;
  let contentChunks = 0;

  const content = (payload: string): string => {
    contentChunks += 1;
    return payload;
  };

  return {
    map(event: DecodedEvent): string[] {
      const type = event.event ?? '';
      if (type.startsWith('exception:')) throw bedrockStreamError(type, event.data);
      const payload = JSON.parse(event.data) as ConverseStreamEvent;
      const out: string[] = [];
      if (!started && type !== 'metadata') {
        started = true;
        out.push(writer.role());
      }
      switch (type) {
        case 'contentBlockStart': {
          const toolUse = payload.start?.toolUse;
          if (toolUse) {
            const toolIndex = tools.size;
            tools.set(payload.contentBlockIndex ?? 0, { toolIndex, argumentsSent: false });
            out.push(content(writer.toolCallStart(toolIndex, toolUse.toolUseId ?? '', toolUse.name ?? '')));
          }
          break;
        }
        case 'contentBlockDelta': {
          const delta = payload.delta;
          if (delta?.text) out.push(content(writer.text(delta.text)));
          else if (delta?.reasoningContent?.text) out.push(content(writer.reasoning(delta.reasoningContent.text)));
          else if (delta?.toolUse?.input) {
            const tool = tools.get(payload.contentBlockIndex ?? 0);
            if (tool) {
              tool.argumentsSent = true;
              out.push(content(writer.toolCallArguments(tool.toolIndex, delta.toolUse.input)));
            }
          }
          break;
        }
        case 'contentBlockStop': {
          const tool = tools.get(payload.contentBlockIndex ?? 0);
          if (tool && !tool.argumentsSent) {
            tool.argumentsSent = true;
            out.push(content(writer.toolCallArguments(tool.toolIndex, '{}')));
          }
          break;
        }
        case 'messageStop':
          finishReason = mapBedrockFinishReason(payload.stopReason);
          done = true;
          out.push(writer.finish(finishReason));
          break;
        case 'metadata':
          usage = readBedrockUsage(payload.usage) ?? usage;
          break;
        default:
          // messageStart and events added later carry nothing to translate.
          break;
      }
      return out;
    },
    finish: () => (done && context.includeUsage && usage ? [writer.usage(usage)] : []),
    get done() {
      return done;
    },
    usage: () => usage,
    finishReason: () => finishReason,
    get contentChunks() {
      return contentChunks;
    },
  };
}
