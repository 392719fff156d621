/** Gemini's finishReason → OpenAI's finish_reason; a STOP after function calls is `tool_calls`. */
export function mapGeminiFinishReason(reason: string | undefined, calledTools: boolean): string {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'LANGUAGE':
      return 'content_filter';
    default:
      return calledTools ? 'tool_calls' : 'stop';
  }
}
