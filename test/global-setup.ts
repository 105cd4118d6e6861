/**
 * Integration tests spawn dist/cli/main.js, the file package.json's bin names. `npm test` builds
 * it first; this check stops a bare `vitest` run from testing a stale build.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestSourceMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtimeMs(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const entry = path.join(root, 'dist', 'cli', 'main.js');
  let builtAt: number;
  try {
    builtAt = statSync(entry).mtimeMs;
  } catch {
    throw new Error('dist/cli/main.js is missing: run `npm run build` (npm test does it for you)');
  }
  if (newestSourceMtimeMs(path.join(root, 'src')) > builtAt) {
    throw new Error('dist/ is older than src/: run `npm run build` (npm test does it for you)');
  }
}
