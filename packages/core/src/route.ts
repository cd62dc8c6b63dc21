/** Model routing: remember the routing decision in context so the GenAI span under it carries it. */
import { type Context, context, createContextKey } from '@opentelemetry/api';

export interface RouteDecision {
  /** The router or rule that decided, e.g. `support-router`. */
  name: string;
  /** The tier chosen, e.g. `small`, `large`. */
  tier?: string | undefined;
  /** Why: `complexity`, `budget`, `fallback`, ... */
  reason?: string | undefined;
  /** The model the call would have used without routing; its price gives `burnrate.route.baseline_cost`. */
  baselineModel?: string | undefined;
  /** Provider of the baseline model when it differs from the routed call's provider. */
  baselineProvider?: string | undefined;
}

const ROUTE_KEY = createContextKey('burnrate.route');

export function contextWithRoute(route: RouteDecision, parent: Context = context.active()): Context {
  return parent.setValue(ROUTE_KEY, route);
}

/** Runs `fn` so that the GenAI spans started inside carry `burnrate.route.*` and the baseline cost. */
export function withRoute<T>(route: RouteDecision, fn: () => T): T {
  return context.with(contextWithRoute(route), fn);
}

export function getRoute(ctx: Context = context.active()): RouteDecision | undefined {
  return ctx.getValue(ROUTE_KEY) as RouteDecision | undefined;
}
