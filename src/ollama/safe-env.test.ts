import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../../test/helpers/fixtures.js';
import { ConfigError, parseConfigText } from '../config/load.js';
import { crashLoopProblem, defaultConfig } from '../config/schema.js';
import {
  envDrift,
  hostProblem,
  judgeEnv,
  keepAliveProblem,
  ollamaChildEnv,
  parseOllamaBool,
  parseProcEnviron,
  parsePsEnvironment,
  safetyRequirements,
  SAFE_DEFAULTS,
} from './safe-env.js';

const base = { PATH: '/opt/homebrew/bin:/usr/bin:/bin', HOME: '/Users/tester' };
const expand = (file: string): string => file.replace(/^~\//, '/Users/tester/');

function configIssues(yaml: string): Array<{ path: string; message: string }> {
  try {
    parseConfigText(yaml, 'config.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the safe defaults', () => {
  it('are the three variables that stopped the 48 GB lockups, plus a pinned 32768-token context', () => {
    expect(SAFE_DEFAULTS).toEqual({ OLLAMA_MAX_LOADED_MODELS: 1, OLLAMA_KEEP_ALIVE: '5m', OLLAMA_NUM_PARALLEL: 1, OLLAMA_CONTEXT_LENGTH: 32768 });
    expect(defaultConfig().ollama.env).toMatchObject(SAFE_DEFAULTS);
  });
});

describe('keepAliveProblem', () => {
  it.each(['5m', '1h30m', '300s', '-1s', '0', '1.5h', '300', '-1', 300])('accepts %s (a Go duration or whole seconds)', (value) => {
    expect(keepAliveProblem(value)).toBeNull();
  });

  it.each(['5 minutes', '5M', 'forever', '', '5mins', '1d'])('rejects %j, which Ollama would silently read as 5m', (value) => {
    expect(keepAliveProblem(value)).toMatch(/neither a Go duration .* nor whole seconds; Ollama would silently use 5m/);
  });
});

describe('hostProblem', () => {
  it('accepts an address with a port', () => {
    expect(hostProblem('127.0.0.1:11434')).toBeNull();
    expect(hostProblem('0.0.0.0:11500')).toBeNull();
    expect(hostProblem('http://[::1]:11434')).toBeNull();
  });

  it('rejects an address without a port, naming the port Ollama would really use', () => {
    expect(hostProblem('http://0.0.0.0')).toBe('"http://0.0.0.0" names no port; Ollama would listen on 80, not the 11434 clients expect: write 0.0.0.0:11434');
    expect(hostProblem('0.0.0.0')).toMatch(/names no port/);
  });

  it('rejects a port out of range', () => {
    expect(hostProblem('127.0.0.1:99999')).toMatch(/port 99999 is out of range/);
  });
});

describe('parseOllamaBool', () => {
  it('takes only 1, true, 0 and false (and YAML booleans)', () => {
    expect([true, 1, '1', 'true', 'TRUE'].map(parseOllamaBool)).toEqual(['1', '1', '1', '1', '1']);
    expect([false, 0, '0', 'false', 'False'].map(parseOllamaBool)).toEqual(['0', '0', '0', '0', '0']);
  });

  it('refuses what Ollama would count as true', () => {
    expect(['yes', 'on', 't', 'enabled', 2, ''].map(parseOllamaBool)).toEqual([null, null, null, null, null, null]);
  });
});

describe('ollama.env in the config', () => {
  it('is a config error for each trap, naming the field', () => {
    expect(configIssues('ollama:\n  env:\n    OLLAMA_KEEP_ALIVE: 5 minutes\n')).toMatchObject([{ path: 'ollama.env.OLLAMA_KEEP_ALIVE', message: expect.stringMatching(/Go duration/) as unknown }]);
    expect(configIssues('ollama:\n  env:\n    OLLAMA_KV_CACHE_TYPE: q5_1\n')).toMatchObject([{ path: 'ollama.env.OLLAMA_KV_CACHE_TYPE' }]);
    expect(configIssues('ollama:\n  env:\n    OLLAMA_HOST: http://0.0.0.0\n')).toMatchObject([{ path: 'ollama.env.OLLAMA_HOST', message: expect.stringMatching(/names no port/) as unknown }]);
    expect(configIssues('ollama:\n  env:\n    OLLAMA_FLASH_ATTENTION: "yes"\n')).toMatchObject([{ path: 'ollama.env.OLLAMA_FLASH_ATTENTION', message: expect.stringMatching(/"yes" included/) as unknown }]);
    expect(configIssues('ollama:\n  env:\n    OLLAMA_NUM_PARALLEL: -1\n')).toMatchObject([{ path: 'ollama.env.OLLAMA_NUM_PARALLEL' }]);
    expect(configIssues('ollama:\n  env:\n    OLLAMA_DEBUG: 1\n')).toMatchObject([{ path: 'ollama.env.OLLAMA_DEBUG' }]);
  });

  it('refuses a listen port other than the one headroom talks to', () => {
    expect(configIssues('ollama:\n  url: 127.0.0.1:11434\n  env:\n    OLLAMA_HOST: 0.0.0.0:11500\n')).toEqual([
      expect.objectContaining({ path: 'ollama.env.OLLAMA_HOST', message: 'listens on port 11500 but ollama.url talks to port 11434: headroom would watch another server' }),
    ]);
  });

  it('refuses restart values with which pm2 would never end a crash loop', () => {
    // The default 500 ms backoff ×1.5 over 10 restarts: 500 + 750 + … + 12 807 + 15 000 (capped) = 52 424 ms, past the 10 × 5 s window.
    expect(configIssues('ollama:\n  restart:\n    minUptimeMs: 5000\n    maxRestarts: 10\n')).toEqual([
      expect.objectContaining({ path: 'ollama.restart', message: expect.stringMatching(/^10 restarts back off for 52424 ms, longer than the 50000 ms \(minUptimeMs × maxRestarts\)/) as unknown }),
    ]);
    expect(crashLoopProblem(defaultConfig().ollama.restart)).toBeNull();
    expect(crashLoopProblem({ minUptimeMs: 1000, maxRestarts: 3, backoffMs: 100 })).toBeNull();
  });

  it('takes good values', () => {
    const config = parseConfigText('ollama:\n  env:\n    OLLAMA_KEEP_ALIVE: 10m\n    OLLAMA_FLASH_ATTENTION: true\n    OLLAMA_KV_CACHE_TYPE: q8_0\n    OLLAMA_HOST: 0.0.0.0:11434\n', 'c.yaml');
    expect(config.ollama.env).toMatchObject({ OLLAMA_KEEP_ALIVE: '10m', OLLAMA_FLASH_ATTENTION: true, OLLAMA_KV_CACHE_TYPE: 'q8_0', OLLAMA_HOST: '0.0.0.0:11434' });
  });
});

describe('ollamaChildEnv', () => {
  it('is exactly PATH, HOME, OLLAMA_HOST and the safe set by default', () => {
    expect(ollamaChildEnv(defaultConfig().ollama.env, '127.0.0.1:11434', base, expand)).toEqual({
      PATH: base.PATH,
      HOME: base.HOME,
      OLLAMA_HOST: '127.0.0.1:11434',
      OLLAMA_MAX_LOADED_MODELS: '1',
      OLLAMA_KEEP_ALIVE: '5m',
      OLLAMA_NUM_PARALLEL: '1',
      OLLAMA_CONTEXT_LENGTH: '32768',
    });
  });

  it('adds the configured extras, booleans as 1/0 and folders expanded', () => {
    const settings = { ...defaultConfig().ollama.env, OLLAMA_FLASH_ATTENTION: 'TRUE', OLLAMA_KV_CACHE_TYPE: 'q8_0', OLLAMA_MODELS: '~/models', OLLAMA_ORIGINS: 'http://localhost:3000', OLLAMA_KEEP_ALIVE: 600 };
    expect(ollamaChildEnv(settings, '0.0.0.0:11434', base, expand)).toMatchObject({
      OLLAMA_FLASH_ATTENTION: '1',
      OLLAMA_KV_CACHE_TYPE: 'q8_0',
      OLLAMA_MODELS: '/Users/tester/models',
      OLLAMA_ORIGINS: 'http://localhost:3000',
      OLLAMA_KEEP_ALIVE: '600',
      OLLAMA_HOST: '0.0.0.0:11434',
    });
  });
});

describe('judgeEnv and envDrift', () => {
  const required = safetyRequirements(defaultConfig().ollama.env);

  it('calls the pm2 child captured here safe', () => {
    const env = parseProcEnviron(readFileSync(fixturePath('linux', 'proc-environ-pm2-child.bin'), 'latin1'));
    expect(judgeEnv(env, required)).toEqual({ verdict: 'safe' });
  });

  it('names each unsafe variable, and says unknown when the environment cannot be read', () => {
    expect(judgeEnv({ OLLAMA_KEEP_ALIVE: '-1', OLLAMA_MAX_LOADED_MODELS: '1', OLLAMA_NUM_PARALLEL: '1', OLLAMA_CONTEXT_LENGTH: '32768' }, required)).toEqual({
      verdict: 'unsafe',
      differences: ['OLLAMA_KEEP_ALIVE=-1 (safe: 5m)'],
    });
    expect(judgeEnv({}, required)).toMatchObject({ verdict: 'unsafe', differences: expect.arrayContaining(['OLLAMA_MAX_LOADED_MODELS=(unset) (safe: 1)']) as unknown });
    expect(judgeEnv(null, required, 'pid 9 belongs to another user')).toEqual({ verdict: 'unknown', why: 'pid 9 belongs to another user' });
  });

  it('lists changed, added and removed OLLAMA_* variables, and ignores the rest', () => {
    const expected = { PATH: '/a', OLLAMA_KEEP_ALIVE: '10m', OLLAMA_FLASH_ATTENTION: '1', OLLAMA_HOST: '127.0.0.1:11434' };
    const actual = { PATH: '/b', pm_id: '0', OLLAMA_KEEP_ALIVE: '5m', OLLAMA_MODELS: '/m', OLLAMA_HOST: '127.0.0.1:11434' };
    expect(envDrift(expected, actual)).toEqual(['OLLAMA_FLASH_ATTENTION: (unset) -> 1', 'OLLAMA_KEEP_ALIVE: 5m -> 10m', 'OLLAMA_MODELS: /m -> (unset)']);
    expect(envDrift(expected, { ...expected, PATH: '/other' })).toEqual([]);
  });
});

describe('reading a process environment', () => {
  it('takes every variable of /proc/PID/environ (a capture of the pm2 child)', () => {
    const env = parseProcEnviron(readFileSync(fixturePath('linux', 'proc-environ-pm2-child.bin'), 'latin1'));
    expect(env).toMatchObject({ OLLAMA_HOST: '127.0.0.1:18601', OLLAMA_KEEP_ALIVE: '5m', HOME: '/tmp/hrm', pm_id: '0', name: 'headroom-ollama' });
    expect(env.SECRET_TOKEN).toBeUndefined();
  });

  it('takes the OLLAMA_* words of `ps eww` (a capture of the same process)', () => {
    expect(parsePsEnvironment(readFixture('linux', 'ps-eww-pm2-child.txt'))).toEqual({
      OLLAMA_HOST: '127.0.0.1:18601',
      OLLAMA_MAX_LOADED_MODELS: '1',
      OLLAMA_KEEP_ALIVE: '5m',
      OLLAMA_NUM_PARALLEL: '1',
      OLLAMA_CONTEXT_LENGTH: '32768',
    });
  });

  it('keeps a value with spaces whole, and calls output with no environment unreadable', () => {
    // Built from the capture's shape: its last words with a models folder that holds a space.
    const line = '/opt/homebrew/bin/ollama serve OLLAMA_MODELS=/Volumes/My Drive/models PATH=/usr/bin:/bin HOME=/Users/u OLLAMA_KEEP_ALIVE=5m';
    expect(parsePsEnvironment(line)).toEqual({ OLLAMA_MODELS: '/Volumes/My Drive/models', OLLAMA_KEEP_ALIVE: '5m' });
    expect(parsePsEnvironment('/Applications/Ollama.app/Contents/Resources/ollama serve')).toBeNull();
  });
});
