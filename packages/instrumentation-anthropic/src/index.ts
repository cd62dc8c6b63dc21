export { AnthropicInstrumentation, SUPPORTED_VERSIONS } from './instrumentation.js';
export type { AnthropicInstrumentationConfig } from './types.js';
