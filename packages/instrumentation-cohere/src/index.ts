export {
  CohereInstrumentation,
  type CohereInstrumentationConfig,
  SUPPORTED_VERSIONS,
  V2_CLIENT_FILE,
} from './instrumentation.js';
