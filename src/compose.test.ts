import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../test/helpers/capture-logger.js';
import { runtimePaths } from './config/paths.js';
import { configSchema } from './config/schema.js';
import type { ServerStatus } from './ollama/server.js';
import { pm2Home, protectedPids, rotateForeignLogs, type Setup } from './compose.js';

describe('rotateForeignLogs', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rotates the files pm2 and launchd write past log.maxSizeMiB, and says so', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hr-ollamalogs-'));
    const config = configSchema.parse({ log: { dir, maxSizeMiB: 0.01, keepFiles: 3 } });
    const setup: Setup = { config, configFile: null, platform: 'linux', paths: runtimePaths(config, 'linux', dir, {}) };
    const big = 'x'.repeat(20_000);
    writeFileSync(path.join(dir, 'ollama.err.log'), big);
    writeFileSync(path.join(dir, 'ollama.out.log'), 'small\n');
    writeFileSync(path.join(dir, 'launchd.err.log'), big);
    const logger = captureLogger();
    rotateForeignLogs(setup, logger);
    expect(readFileSync(path.join(dir, 'ollama.err.log'), 'utf8')).toBe('');
    expect(readFileSync(path.join(dir, 'ollama.err.log.1'), 'utf8')).toBe(big);
    expect(existsSync(path.join(dir, 'ollama.out.log.1'))).toBe(false);
    expect(readFileSync(path.join(dir, 'launchd.err.log.1'), 'utf8')).toBe(big);
    expect(logger.entries.map((e) => [e.message, e.fields.file])).toEqual([
      ['rotated a log file another process writes', path.join(dir, 'ollama.err.log')],
      ['rotated a log file another process writes', path.join(dir, 'launchd.err.log')],
    ]);
  });
});

describe('protectedPids', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("names headroom's pm2 daemon from pm2.pid in headroom's PM2_HOME, the Ollama server and Ollama.app, never a foreign server", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hr-protected-'));
    const config = configSchema.parse({ daemon: { stateDir: dir } });
    const paths = runtimePaths(config, 'linux', dir, {});
    expect(protectedPids(paths, null)).toEqual([]);
    mkdirSync(pm2Home(paths), { recursive: true });
    writeFileSync(path.join(pm2Home(paths), 'pm2.pid'), '4100\n');
    const serving = (owner: unknown): { current: ServerStatus } => ({ current: { owner } as unknown as ServerStatus });
    expect(protectedPids(paths, serving({ kind: 'headroom', pid: 4200 }))).toEqual([
      { pid: 4100, what: "headroom's pm2 daemon" },
      { pid: 4200, what: 'the Ollama server' },
    ]);
    expect(protectedPids(paths, serving({ kind: 'app', pid: 380, appPid: 377 })).slice(1)).toEqual([
      { pid: 380, what: 'the Ollama server' },
      { pid: 377, what: 'Ollama.app' },
    ]);
    expect(protectedPids(paths, serving({ kind: 'foreign', pid: 999, command: 'nc -l 11434' }))).toEqual([{ pid: 4100, what: "headroom's pm2 daemon" }]);
    writeFileSync(path.join(pm2Home(paths), 'pm2.pid'), 'garbage');
    expect(protectedPids(paths, null)).toEqual([]);
  });
});
