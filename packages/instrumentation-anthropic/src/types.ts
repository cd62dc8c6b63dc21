import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export interface AnthropicInstrumentationConfig extends InstrumentationConfig {
  /**
   * @anthropic-ai/sdk 0.6x+ emits its own `anthropic.messages.create` spans (on unless
   * `ANTHROPIC_OPEN_TELEMETRY=false`). They carry tokens but no cost, so a collector would count
   * the call twice. Default true: burnrate's priced span replaces the SDK's for the calls it
   * instruments. `BURNRATE_ANTHROPIC_SDK_SPANS=keep` (or false here) keeps both.
   */
  suppressSdkSpans?: boolean;
  /** Record one span per succeeded result read through `messages.batches.results()` (batch tier). Default true. */
  batchResults?: boolean;
}
