/**
 * Provider SDKs beyond OpenAI and Anthropic (Gemini / Vertex AI, Bedrock, Mistral, Cohere, Groq).
 * Each instrumentation patches its SDK when the app loads it after burnrate (`--import` / `--require`
 * / first import); it has no `patch` for an SDK loaded earlier.
 */
import { BedrockInstrumentation } from '@burnrate/instrumentation-bedrock';
import { CohereInstrumentation } from '@burnrate/instrumentation-cohere';
import { GoogleGenAIInstrumentation } from '@burnrate/instrumentation-google-genai';
import { GroqInstrumentation } from '@burnrate/instrumentation-groq';
import { MistralInstrumentation } from '@burnrate/instrumentation-mistral';
import type { SdkEntry } from './loaded.js';

export const PROVIDER_SDKS: SdkEntry[] = [
  {
    module: '@google/genai',
    instrumentationName: '@burnrate/instrumentation-google-genai',
    create: () => new GoogleGenAIInstrumentation(),
  },
  {
    module: '@aws-sdk/client-bedrock-runtime',
    instrumentationName: '@burnrate/instrumentation-bedrock',
    create: () => new BedrockInstrumentation(),
  },
  {
    module: '@mistralai/mistralai',
    instrumentationName: '@burnrate/instrumentation-mistral',
    create: () => new MistralInstrumentation(),
  },
  {
    module: 'cohere-ai',
    instrumentationName: '@burnrate/instrumentation-cohere',
    create: () => new CohereInstrumentation(),
  },
  {
    module: 'groq-sdk',
    instrumentationName: '@burnrate/instrumentation-groq',
    create: () => new GroqInstrumentation(),
  },
];
