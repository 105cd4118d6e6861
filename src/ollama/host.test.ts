import { describe, expect, it } from 'vitest';
import { OLLAMA_DEFAULT_URL, OllamaHostError, parseOllamaHost, resolveOllamaUrl, serverListenHost } from './host.js';

describe('parseOllamaHost, as Ollama reads OLLAMA_HOST', () => {
  it.each([
    ['127.0.0.1:11434', 'http', '127.0.0.1', 11434, true],
    ['0.0.0.0', 'http', '0.0.0.0', 11434, false],
    [':11500', 'http', '127.0.0.1', 11500, true],
    ['', 'http', '127.0.0.1', 11434, false],
    ['box.local', 'http', 'box.local', 11434, false],
    ['http://box.local', 'http', 'box.local', 80, false], // Ollama's trap: port 80, not 11434
    ['https://box.local', 'https', 'box.local', 443, false],
    ['http://box.local:8080/', 'http', 'box.local', 8080, true],
    ['[::1]:11434', 'http', '::1', 11434, true],
    ['"127.0.0.1:11435"', 'http', '127.0.0.1', 11435, true],
  ] as const)('%j', (value, scheme, host, port, portGiven) => {
    expect(parseOllamaHost(value)).toEqual({ scheme, host, port, portGiven });
  });

  it('rejects a bad port or scheme', () => {
    expect(() => parseOllamaHost('127.0.0.1:99999')).toThrow(OllamaHostError);
    expect(() => parseOllamaHost('ftp://box')).toThrow(/scheme must be http or https/);
  });
});

describe('resolveOllamaUrl', () => {
  it('prefers config, then OLLAMA_HOST, then the default', () => {
    expect(resolveOllamaUrl('http://10.0.0.2:9999', { OLLAMA_HOST: '1.2.3.4:5' })).toBe('http://10.0.0.2:9999');
    expect(resolveOllamaUrl(null, { OLLAMA_HOST: '1.2.3.4:5' })).toBe('http://1.2.3.4:5');
    expect(resolveOllamaUrl(null, {})).toBe(OLLAMA_DEFAULT_URL);
  });

  it('reaches a wildcard listener on loopback', () => {
    expect(resolveOllamaUrl(null, { OLLAMA_HOST: '0.0.0.0' })).toBe('http://127.0.0.1:11434');
    expect(resolveOllamaUrl(null, { OLLAMA_HOST: '[::]:11434' })).toBe('http://[::1]:11434');
  });
});

describe('serverListenHost: the OLLAMA_HOST of the server headroom runs is the address headroom talks to', () => {
  it('follows the URL from config, else headroom\'s own OLLAMA_HOST, else the default', () => {
    const childHost = (configUrl: string | null, env: NodeJS.ProcessEnv): string => serverListenHost(resolveOllamaUrl(configUrl, env), null);
    expect(childHost('http://127.0.0.1:11500', { OLLAMA_HOST: '127.0.0.1:9' })).toBe('127.0.0.1:11500');
    expect(childHost(null, { OLLAMA_HOST: '127.0.0.1:11600' })).toBe('127.0.0.1:11600');
    expect(childHost(null, {})).toBe('127.0.0.1:11434');
    expect(childHost(null, { OLLAMA_HOST: '[::1]:11700' })).toBe('[::1]:11700');
  });

  it('keeps a listen address set in ollama.env.OLLAMA_HOST (a wildcard, say)', () => {
    expect(serverListenHost(resolveOllamaUrl(null, {}, '0.0.0.0:11434'), '0.0.0.0:11434')).toBe('0.0.0.0:11434');
  });
});
