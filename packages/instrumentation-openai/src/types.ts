import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export interface OpenAIInstrumentationConfig extends InstrumentationConfig {
  /**
   * Ask for `stream_options.include_usage` on streaming chat/completions requests that did not, and
   * hide the extra usage-only chunk from the caller. Default true; `BURNRATE_OPENAI_INCLUDE_USAGE=false`
   * turns it off (for OpenAI-compatible servers that reject the option). Off: streams without usage
   * are counted locally and marked `burnrate.usage.estimated`.
   */
  includeUsage?: boolean;
  /**
   * `gen_ai.provider.name` for a client base URL. Return undefined to fall back to burnrate's host
   * table (api.openai.com -> openai, api.groq.com -> groq, ...; unknown hosts -> openai).
   */
  providerFor?: (baseURL: URL) => string | undefined;
  /**
   * Record one span per successful result line of a Batch API output file read through
   * `files.content()` (batch tier). Default true.
   */
  batchResults?: boolean;
  /** Output files larger than this are not read for batch results (default 256 MiB). */
  batchResultsMaxBytes?: number;
}
