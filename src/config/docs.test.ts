import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unwrap } from './load.js';
import { configSchema, defaultConfig } from './schema.js';

const DOCS = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/config.md'), 'utf8');

/** Every leaf key path of the schema (objects are walked, everything else is a leaf). */
function schemaLeaves(schema: unknown, prefix: string[] = []): string[] {
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> } | undefined)?.shape;
  if (!shape || (unwrap(schema) as { def: { type: string } }).def.type !== 'object') return [prefix.join('.')];
  return Object.entries(shape).flatMap(([key, child]) => schemaLeaves(child, [...prefix, key]));
}

/** `| \`key\` | type | \`default\` | meaning |` rows of docs/config.md. */
function docRows(): Map<string, { defaultText: string; meaning: string }> {
  const rows = new Map<string, { defaultText: string; meaning: string }>();
  for (const line of DOCS.split('\n')) {
    const match = /^\| `([\w.]+)` \| [^|]+ \| `([^`]*)` \| (.*) \|$/.exec(line);
    if (match?.[1]) rows.set(match[1], { defaultText: match[2] ?? '', meaning: (match[3] ?? '').trim() });
  }
  return rows;
}

function valueAt(object: unknown, keyPath: string): unknown {
  return keyPath.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], object);
}

describe('docs/config.md', () => {
  const leaves = schemaLeaves(configSchema);
  const rows = docRows();

  it('lists exactly the keys of the schema', () => {
    expect([...rows.keys()].sort()).toEqual([...leaves].sort());
  });

  it.each(leaves)('gives the schema default and a meaning for %s', (key) => {
    const row = rows.get(key);
    expect(row, `docs/config.md has no row for ${key}`).toBeDefined();
    expect(JSON.parse(row!.defaultText)).toEqual(valueAt(defaultConfig(), key));
    expect(row!.meaning.length).toBeGreaterThan(10);
  });
});
