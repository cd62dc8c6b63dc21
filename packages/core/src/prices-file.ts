/** User price overrides (`BURNRATE_PRICES_FILE`): parsing and validation with precise errors. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const mtok = z.number({ error: 'must be a number (USD per million tokens)' }).finite().nonnegative();

const longContext = z.strictObject({
  above_input_tokens: z.number().int().positive(),
  input_mtok: mtok,
  output_mtok: mtok.optional(),
  cache_read_mtok: mtok.optional(),
  cache_write_mtok: mtok.optional(),
});

const modelOverride = z.strictObject({
  provider: z.string().min(1).optional(),
  model: z.string().min(1, 'must name the model id'),
  match: z.enum(['exact', 'prefix']).default('exact'),
  input_mtok: mtok,
  output_mtok: mtok.default(0),
  cache_read_mtok: mtok.optional(),
  cache_write_mtok: mtok.optional(),
  cache_write_1h_mtok: mtok.optional(),
  long_context: longContext.optional(),
});

const tierMultiplier = z.number().finite().positive();

export const pricesFileSchema = z.strictObject({
  tiers: z
    .strictObject({
      batch: tierMultiplier.optional(),
      flex: tierMultiplier.optional(),
      priority: tierMultiplier.optional(),
    })
    .optional(),
  models: z.array(modelOverride).default([]),
});

export type PricesFile = z.infer<typeof pricesFileSchema>;
export type ModelOverride = z.infer<typeof modelOverride>;

export class PricesFileError extends Error {
  override name = 'PricesFileError';
}

/** Validates already-parsed price overrides; `origin` names the file in errors. */
export function parsePrices(data: unknown, origin = 'prices'): PricesFile {
  const result = pricesFileSchema.safeParse(data ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path;
  let where = path.join('.');
  if (path[0] === 'models' && typeof path[1] === 'number') {
    const entry = (data as { models?: Array<{ model?: unknown }> }).models?.[path[1]];
    const name = typeof entry?.model === 'string' ? ` (${entry.model})` : '';
    const field = path.slice(2).join('.') || '(entry)';
    where = `models[${path[1]}]${name}, field ${field}`;
  }
  throw new PricesFileError(`${origin}: ${where}: ${issue.message}`);
}

/** Reads a YAML or JSON prices file (JSON is valid YAML, so one parser serves both). */
export function loadPricesFile(path: string): PricesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PricesFileError(`${path}: cannot read prices file: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new PricesFileError(`${path}: not valid YAML or JSON: ${(err as Error).message}`);
  }
  return parsePrices(data, path);
}
