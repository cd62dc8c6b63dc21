export {
  GroqInstrumentation,
  type GroqInstrumentationConfig,
  SUPPORTED_VERSIONS,
} from './instrumentation.js';
