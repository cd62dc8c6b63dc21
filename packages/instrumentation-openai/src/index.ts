export { OpenAIInstrumentation, SUPPORTED_VERSIONS } from './instrumentation.js';
export { serverInfo } from './provider.js';
export type { OpenAIInstrumentationConfig } from './types.js';
