/** Types of the demo scenario (plain JavaScript, so the demo's apps can import it without a build). */
export interface ScenarioCall {
  feature: string;
  provider: string;
  /** None for triage: `triageModel()` picks it. */
  model?: string;
  kind?: string;
  stream?: boolean;
  user?: string;
  session?: string;
  prompt: string;
  /** None for a question the app answers from its semantic cache. */
  usage?: { input: number; output: number; cacheRead?: number; cacheWrite?: number };
  [extra: string]: any;
}
export interface Wave {
  name: string;
  calls: ScenarioCall[];
}
export const SERVICE: string;
export const TENANTS: Record<string, string>;
export const WAVES: Wave[];
export function triageModel(prompt: string): string;
export function similarity(a: string, b: string): number;
export const SEMANTIC_THRESHOLD: number;
export function allCalls(): Array<ScenarioCall & { wave: number }>;
