export { modelId } from './gemini.js';
export {
  GoogleGenAIInstrumentation,
  type GoogleGenAIInstrumentationConfig,
  SUPPORTED_VERSIONS,
} from './instrumentation.js';
