/** Paths to the captured fixtures under test/fixtures (see each folder's SOURCES.md). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures, absolute. */
export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** Absolute path of a fixture, e.g. fixturePath('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'). */
export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES_DIR, ...parts);
}

/** A fixture's text. */
export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), 'utf8');
}
