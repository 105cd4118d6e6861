/**
 * Installs the fake `ollama` executable (test/fixtures/bin/fake-ollama.cjs) in a folder, with an
 * absolute node shebang so that it runs under any PATH, and reads what it recorded.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fixturePath } from './fixtures.js';

/** How the fake behaves on its next start or request. */
export type FakeOllamaMode = 'ok' | 'crash' | 'hang';

/** An installed fake. */
export interface FakeOllamaBin {
  /** The executable's absolute path. */
  binary: string;
  setMode(mode: FakeOllamaMode): Promise<void>;
  /** One entry per `ollama serve` start: its pid and when it started. */
  starts(): Promise<Array<{ pid: number; at: number }>>;
}

/** Writes `<dir>/<name>` (default `ollama`). */
export async function installFakeOllama(dir: string, name = 'ollama'): Promise<FakeOllamaBin> {
  await mkdir(dir, { recursive: true });
  const binary = path.join(dir, name);
  const source = readFileSync(fixturePath('bin', 'fake-ollama.cjs'), 'utf8');
  await writeFile(binary, `#!${process.execPath}\n${source}`);
  await chmod(binary, 0o755);
  return {
    binary,
    setMode: (mode) => writeFile(path.join(dir, 'mode'), mode),
    async starts() {
      const text = await readFile(path.join(dir, 'starts.log'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [pid, at] = line.split(' ');
          return { pid: Number(pid), at: Number(at) };
        });
    },
  };
}
