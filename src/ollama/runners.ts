/**
 * Ollama's model runners as processes: `ollama runner --model <blob>` (before 0.30, and for MLX
 * models), `…/llama-server … --model <blob>` (0.30+). The blob path ends in `sha256-<digest>`,
 * the digest of the model's weights layer, which /api/show's modelfile names in its FROM line.
 * Pure.
 */
import path from 'node:path';
import type { ProcessInfo } from '../ports/processes.js';

/** A runner seen in the process table. */
export interface RunnerProcess {
  pid: number;
  /** The weights blob's digest (hex), when the command names one. */
  blobDigest: string | null;
}

/** Recognizes a runner's command line; null for any other process. */
export function parseRunnerCommand(pid: number, command: string): RunnerProcess | null {
  const [program = '', subcommand] = command.split(' ');
  const name = path.basename(program);
  const isRunner = (name === 'ollama' && subcommand === 'runner') || name === 'llama-server';
  if (!isRunner) return null;
  const model = /(?:^|\s)--model[ =](.+?)(?=\s--|$)/.exec(command)?.[1];
  const digest = model ? /sha256[-:]([0-9a-f]{64})$/.exec(path.basename(model.trim()))?.[1] : undefined;
  return { pid, blobDigest: digest ?? null };
}

/** True for an Ollama server's command line: `…/ollama serve`. */
export function isOllamaServerCommand(command: string): boolean {
  const [program = '', subcommand] = command.split(' ');
  return path.basename(program) === 'ollama' && subcommand === 'serve';
}

/**
 * The runners an Ollama server started: runner command lines whose parent is an `ollama serve`.
 * A `llama-server` the user runs by hand (llama.cpp's own) is not Ollama's, and is never listed.
 */
export function ollamaRunners(table: readonly ProcessInfo[]): RunnerProcess[] {
  const servers = new Set(table.filter((p) => isOllamaServerCommand(p.command)).map((p) => p.pid));
  return table
    .filter((p) => servers.has(p.ppid))
    .map((p) => parseRunnerCommand(p.pid, p.command))
    .filter((runner) => runner !== null);
}

/** The weights blobs a modelfile's FROM lines name (`FROM /…/blobs/sha256-<hex>`). */
export function modelfileBlobDigests(modelfile: string): string[] {
  const digests: string[] = [];
  for (const match of modelfile.matchAll(/^FROM\s+(\S+)\s*$/gm)) {
    const digest = /sha256[-:]([0-9a-f]{64})$/.exec(match[1] ?? '')?.[1];
    if (digest) digests.push(digest);
  }
  return digests;
}
