/** The config a simulation runs with: the user's config, then the scenario's overrides on top. */
import { ConfigError } from '../config/load.js';
import { configSchema, type Config } from '../config/schema.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges plain objects; arrays and scalars in `overrides` replace. */
export function deepMerge(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

/** `config` with the scenario's `config:` section applied and checked; errors name `config.<key>`. */
export function scenarioConfig(config: Config, overrides: Record<string, unknown>, scenarioFile: string): Config {
  const result = configSchema.safeParse(deepMerge(config, overrides));
  if (result.success) return result.data;
  throw new ConfigError(
    scenarioFile,
    result.error.issues.map((issue) => ({ path: ['config', ...issue.path.map(String)].join('.'), message: issue.message })),
  );
}
