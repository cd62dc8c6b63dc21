export {
  BedrockInstrumentation,
  type BedrockInstrumentationConfig,
  SUPPORTED_VERSIONS,
} from './instrumentation.js';
