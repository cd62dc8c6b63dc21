export {
  MistralInstrumentation,
  type MistralInstrumentationConfig,
  SUPPORTED_VERSIONS,
} from './instrumentation.js';
