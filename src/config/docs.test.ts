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

interface DocRow {
  type: string;
  defaultText: string;
  meaning: string;
}

/** `| \`key\` | type | \`default\` | meaning |` rows of docs/config.md. */
function docRows(): Map<string, DocRow> {
  const rows = new Map<string, DocRow>();
  for (const line of DOCS.split('\n')) {
    const match = /^\| `([\w.]+)` \| ([^|]+) \| `([^`]*)` \| (.*) \|$/.exec(line);
    if (match?.[1]) rows.set(match[1], { type: (match[2] ?? '').trim(), defaultText: match[3] ?? '', meaning: (match[4] ?? '').trim() });
  }
  return rows;
}

/** The schema node of a key path. */
function schemaAt(keyPath: string): unknown {
  let node: unknown = configSchema;
  for (const key of keyPath.split('.')) node = (unwrap(node) as { shape: Record<string, unknown> }).shape[key];
  return node;
}

/** What the type column must say for a schema node: its kind, range and choices. */
function expectedTypeWords(node: unknown): string[] {
  const nullable = isNullable(node);
  const inner = unwrap(node) as { def: { type: string }; minValue?: number | null; maxValue?: number | null; isInt?: boolean; options?: string[] };
  const words: string[] = [];
  switch (inner.def.type) {
    case 'number':
      words.push(inner.isInt ? 'integer' : 'number', `${inner.minValue}–${inner.maxValue}`);
      break;
    case 'enum':
      words.push(...(inner.options ?? []).map((option) => `\`${option}\``));
      break;
    case 'boolean':
      words.push('boolean');
      break;
    case 'array':
      words.push('list');
      break;
  }
  if (nullable) words.push('null');
  return words;
}

function isNullable(node: unknown): boolean {
  let current = node as { def?: { type: string; innerType?: unknown } } | undefined;
  while (current?.def) {
    if (current.def.type === 'nullable') return true;
    current = current.def.innerType as typeof current;
  }
  return false;
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

  it.each(leaves)('gives the schema default, type, range and a meaning for %s', (key) => {
    const row = rows.get(key);
    expect(row, `docs/config.md has no row for ${key}`).toBeDefined();
    expect(JSON.parse(row!.defaultText)).toEqual(valueAt(defaultConfig(), key));
    for (const word of expectedTypeWords(schemaAt(key))) expect(row!.type, `type column of ${key}`).toContain(word);
    expect(row!.meaning.length).toBeGreaterThan(10);
  });
});
