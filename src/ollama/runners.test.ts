import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { parsePsPidPpidCommand } from '../platform/darwin/processes.js';
import { isOllamaServerCommand, modelfileBlobDigests, ollamaRunners, parseRunnerCommand } from './runners.js';

const DIGEST = '667b0c1932bc6ffc593ed1d03f895bf2dc8dc6df21db3042284a6f4416b06a29';

describe('parseRunnerCommand', () => {
  it('recognizes the runner in the captured ps aux of an M4 (its --model path was cut by the reporter)', () => {
    const line = readFixture('darwin', 'ps-aux-ollama-m4.txt').split('\n')[0]!;
    const command = line.slice(line.indexOf('/Applications/'));
    expect(parseRunnerCommand(61864, command)).toEqual({ pid: 61864, blobDigest: null });
  });

  it('does not take the server or the client for a runner', () => {
    const lines = readFixture('darwin', 'ps-aux-ollama-m4.txt').split('\n');
    expect(parseRunnerCommand(66449, 'ollama run deepseek-r1:8b')).toBeNull();
    expect(parseRunnerCommand(59923, lines[2]!.slice(lines[2]!.indexOf('/Applications/')))).toBeNull();
    expect(parseRunnerCommand(1, '/usr/bin/vim runner --model x')).toBeNull();
  });

  it('reads the weights blob digest from both runner layouts', () => {
    // Full command lines in the layouts of ../shared/docs/ollama.md §4; not captures.
    expect(parseRunnerCommand(5, `/Applications/Ollama.app/Contents/Resources/ollama runner --ollama-engine --model /Users/u/.ollama/models/blobs/sha256-${DIGEST} --port 52100`)).toEqual({ pid: 5, blobDigest: DIGEST });
    expect(parseRunnerCommand(6, `/opt/homebrew/lib/ollama/llama-server --model /Volumes/My Models/blobs/sha256-${DIGEST} --port 52101 --ctx-size 32768`)).toEqual({ pid: 6, blobDigest: DIGEST });
    expect(parseRunnerCommand(7, `ollama runner --mlx-engine --model mlx-community/Qwen3-8B --port 52102`)).toEqual({ pid: 7, blobDigest: null });
  });
});

describe('ollamaRunners', () => {
  const lines = readFixture('darwin', 'ps-aux-ollama-m4.txt').split('\n');
  const command = (index: number): string => lines[index]!.slice(lines[index]!.indexOf('/Applications/'));

  it('takes the server of the captured ps aux of an M4 for a server, and the client for nothing', () => {
    expect(isOllamaServerCommand(command(2))).toBe(true);
    expect(isOllamaServerCommand('ollama run deepseek-r1:8b')).toBe(false);
    expect(isOllamaServerCommand(command(0))).toBe(false);
  });

  it('lists only runners whose parent is an Ollama server, never a llama-server run by hand', () => {
    // The ppids are not in the capture (ps aux has none): the runner's parent is set to the server here.
    const standalone = `/opt/homebrew/bin/llama-server --model /Users/u/models/qwen3-8b-q4.gguf --port 8080`;
    const table = [
      { pid: 59923, ppid: 1, command: command(2) },
      { pid: 61864, ppid: 59923, command: command(0) },
      { pid: 66449, ppid: 500, command: 'ollama run deepseek-r1:8b' },
      { pid: 7000, ppid: 500, command: standalone },
      { pid: 7001, ppid: 500, command: `/opt/homebrew/lib/ollama/llama-server --model /Users/u/.ollama/models/blobs/sha256-${DIGEST} --port 52101` },
    ];
    expect(ollamaRunners(table)).toEqual([{ pid: 61864, blobDigest: null }]);
    expect(ollamaRunners(parsePsPidPpidCommand(readFixture('darwin', 'ps-axo-pid-ppid-command-apple-silicon-excerpt.txt')))).toEqual([]);
  });
});

describe('modelfileBlobDigests', () => {
  it('reads the FROM blob of a captured /api/show modelfile', () => {
    const show = JSON.parse(readFixture('ollama', 'show-legacy-no-capabilities.json')) as { modelfile: string };
    expect(modelfileBlobDigests(show.modelfile)).toEqual([DIGEST]);
  });

  it('reads both FROM lines of a vision model (weights and projector)', () => {
    const show = JSON.parse(readFixture('ollama', 'show-vision-projector.json')) as { modelfile: string };
    expect(modelfileBlobDigests(show.modelfile)).toEqual([
      '262843d4806aeb402336980badd414a72576b20b1e5d537647da15f16c4a4df0',
      'f8a805e9e62085805c69c427287acefc284932eb4abfe6e1b1ce431d27e2f4e0',
    ]);
  });
});

describe('parsePsPidPpidCommand', () => {
  it('reads the captured ps -axo pid=,ppid=,command= snapshot, defunct rows and all', () => {
    const processes = parsePsPidPpidCommand(readFixture('darwin', 'ps-axo-pid-ppid-command-apple-silicon-excerpt.txt'));
    expect(processes).toHaveLength(44);
    expect(processes[0]).toEqual({ pid: 1, ppid: 0, command: '/sbin/launchd' });
    expect(processes[1]).toEqual({ pid: 277, ppid: 73832, command: '<defunct>' });
    expect(processes.find((p) => p.command.endsWith('WindowServer -daemon'))).toMatchObject({ pid: 372, ppid: 1 });
  });
});
