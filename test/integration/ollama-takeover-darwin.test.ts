/**
 * Foreign Ollama servers on the darwin backend (--platform darwin), against fakes: `lsof`
 * (answering from this machine's /proc through the Linux probe), `launchctl list`, `brew` and
 * `osascript` record their argv; `ps` is the real procps, which takes the macOS arguments
 * headroom uses. The Ollama.app stand-in is a process at `…/Ollama.app/Contents/MacOS/Ollama`
 * that runs the fake server at `…/Contents/Resources/ollama serve` and, like the real app, takes
 * its server down with it on SIGTERM. pm2 is real.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerStatus } from '../../src/ollama/server.js';
import { waitFor } from '../helpers/cli-process.js';
import { addRecordingFake, readRecordedArgv } from '../helpers/fake-darwin-bin.js';
import { installFakeOllama } from '../helpers/fake-ollama-bin.js';
import { isAlive, makeServerSandbox, type ServerSandbox } from '../helpers/server-sandbox.js';

const LINUX_PROBE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'platform', 'linux', 'serving.js');

let scratch: string;
let fakes: string;
let box: ServerSandbox | null = null;
const strays: number[] = [];

beforeEach(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'hr-darwin-'));
  fakes = path.join(scratch, 'bin');
  await mkdir(fakes);
  await writeFile(
    path.join(fakes, 'lsof'),
    `#!${process.execPath}
// Fake lsof: \`lsof -nP -iTCP:PORT -sTCP:LISTEN -Fp\` answered from /proc (exit 1 when nothing listens, as lsof does).
const port = Number(process.argv.find((arg) => arg.startsWith('-iTCP:')).slice(6));
import(${JSON.stringify(LINUX_PROBE)}).then(async ({ LinuxServerProbe }) => {
  const pids = (await new LinuxServerProbe('/proc').portListeners(port)) ?? [];
  for (const pid of pids) process.stdout.write('p' + pid + '\\n');
  process.exit(pids.length > 0 ? 0 : 1);
});
`,
  );
  await writeFile(
    path.join(fakes, 'launchctl'),
    `#!/bin/sh
# Fake launchctl: \`launchctl list\` prints launchctl.list (PID, status, label rows).
printf '%s ' "$@" >> "${fakes}/launchctl.argv"; echo >> "${fakes}/launchctl.argv"
[ "$1" = list ] && cat "${fakes}/launchctl.list" 2>/dev/null
exit 0
`,
  );
  await writeFile(
    path.join(fakes, 'brew'),
    `#!/bin/sh
# Fake brew: records its argv; \`brew services stop ollama\` stops the service's server and unloads its label.
for arg in "$@"; do printf '%s\\037' "$arg"; done >> "${fakes}/brew.argv"; echo >> "${fakes}/brew.argv"
if [ "$1 $2 $3" = "services stop ollama" ]; then
  kill -TERM "$(cat "${fakes}/brew.pid")"
  rm -f "${fakes}/launchctl.list"
fi
exit 0
`,
  );
  await chmod(path.join(fakes, 'lsof'), 0o755);
  await chmod(path.join(fakes, 'launchctl'), 0o755);
  await chmod(path.join(fakes, 'brew'), 0o755);
  await addRecordingFake(fakes, 'osascript');
});

afterEach(async () => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await box?.cleanup();
  box = null;
  await rm(scratch, { recursive: true, force: true });
});

async function statusJson(b: ServerSandbox): Promise<ServerStatus> {
  const result = await b.cli(['ollama', 'status', '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ServerStatus;
}

/** Starts the Ollama.app stand-in; returns the app's pid once its server answers. */
async function startApp(b: ServerSandbox): Promise<{ appPid: number; serverPid: number }> {
  const bundle = path.join(scratch, 'Ollama.app', 'Contents');
  const server = await installFakeOllama(path.join(bundle, 'Resources'));
  const main = path.join(bundle, 'MacOS', 'Ollama');
  await mkdir(path.dirname(main), { recursive: true });
  await writeFile(
    main,
    `#!${process.execPath}
// Ollama.app stand-in: runs its server, and on SIGTERM takes it down and exits.
process.title = process.argv[1];
const child = require('node:child_process').spawn(${JSON.stringify(server.binary)}, ['serve'], { stdio: 'ignore' });
process.on('SIGTERM', () => { child.on('exit', () => process.exit(0)); child.kill('SIGTERM'); });
`,
  );
  await chmod(main, 0o755);
  const app = spawn(main, [], { env: { PATH: b.env.PATH!, HOME: b.sandbox.home, OLLAMA_HOST: `127.0.0.1:${b.port}` }, stdio: 'ignore', detached: true });
  app.unref();
  strays.push(app.pid!);
  await waitFor(() => b.get('/api/version'), 10_000, "the app's server");
  const [started] = await server.starts();
  strays.push(started!.pid);
  return { appPid: app.pid!, serverPid: started!.pid };
}

/** Starts a stand-in for `brew services start ollama`: its server, and its launchd row. */
async function startBrewService(b: ServerSandbox): Promise<number> {
  const server = await installFakeOllama(path.join(scratch, 'homebrew', 'opt', 'ollama', 'bin'));
  const child = spawn(server.binary, ['serve'], { env: { PATH: b.env.PATH!, HOME: b.sandbox.home, OLLAMA_HOST: `127.0.0.1:${b.port}` }, stdio: 'ignore', detached: true });
  child.unref();
  strays.push(child.pid!);
  await writeFile(path.join(fakes, 'brew.pid'), String(child.pid));
  // The row format of test/fixtures/darwin/launchctl-list-grep.txt, with a pid: the service runs.
  await writeFile(path.join(fakes, 'launchctl.list'), `-\t0\tcom.apple.something\n${child.pid}\t0\thomebrew.mxcl.ollama\n`);
  await waitFor(() => b.get('/api/version'), 10_000, 'the brew server');
  return child.pid!;
}

describe('Ollama.app (darwin backend, fakes)', () => {
  it('without takeover: headroom says who serves and starts nothing beside it', async () => {
    const b = (box = await makeServerSandbox({ platform: 'darwin', pathPrefix: fakes }));
    const { appPid, serverPid } = await startApp(b);
    const result = await b.cli(['ollama', 'start']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe(`served by Ollama.app (server pid ${serverPid}, app pid ${appPid}); headroom guards it without managing it`);
    expect(result.stderr).toContain('Set ollama.takeover: true');
    const status = await statusJson(b);
    expect(status.owner).toEqual({ kind: 'app', pid: serverPid, appPid });
    // The stand-in was started without the safe variables, as the app's own server is.
    expect(status.env).toMatchObject({ verdict: 'unsafe', differences: expect.arrayContaining(['OLLAMA_MAX_LOADED_MODELS=(unset) (safe: 1)']) as unknown });
    expect(isAlive(appPid) && isAlive(serverPid)).toBe(true);
    expect(b.godPid()).toBeNull();
  });

  it('with takeover: SIGTERM to the app (never AppleScript quit, which only hides it), then headroom\'s server', async () => {
    const b = (box = await makeServerSandbox({ platform: 'darwin', pathPrefix: fakes }));
    await b.writeConfig({ ollama: { takeover: true } });
    const { appPid, serverPid } = await startApp(b);
    const result = await b.cli(['ollama', 'start']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^taking over from Ollama.app \\(server pid ${serverPid}, app pid ${appPid}\\)\n {2}stopped Ollama.app \\(SIGTERM to pid ${appPid}\\)\n {2}port ${b.port} is free\n {2}started `),
    );
    await waitFor(() => Promise.resolve(!isAlive(appPid) && !isAlive(serverPid)), 5000, 'the app and its server to exit');
    expect(await readRecordedArgv(path.join(fakes, 'osascript.argv'))).toEqual([]);
    expect((await statusJson(b)).owner.kind).toBe('headroom');
  });
});

describe('brew services (darwin backend, fakes)', () => {
  it('without takeover: recognised by its launchd row, and left alone', async () => {
    const b = (box = await makeServerSandbox({ platform: 'darwin', pathPrefix: fakes }));
    const pid = await startBrewService(b);
    const status = await statusJson(b);
    expect(status).toMatchObject({ owner: { kind: 'brew', pid }, description: `brew services (homebrew.mxcl.ollama, pid ${pid})` });
    expect(await readRecordedArgv(path.join(fakes, 'brew.argv'))).toEqual([]);
  });

  it('with takeover: `brew services stop ollama` (its KeepAlive would revive a killed server), then headroom\'s server', async () => {
    const b = (box = await makeServerSandbox({ platform: 'darwin', pathPrefix: fakes }));
    await b.writeConfig({ ollama: { takeover: true } });
    const pid = await startBrewService(b);
    const result = await b.cli(['ollama', 'start']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^taking over from brew services \\(homebrew.mxcl.ollama, pid ${pid}\\)\n {2}stopped the brew service \\(brew services stop ollama\\)\n {2}port ${b.port} is free\n {2}started `));
    expect(await readRecordedArgv(path.join(fakes, 'brew.argv'))).toEqual([['services', 'stop', 'ollama']]);
    await waitFor(() => Promise.resolve(!isAlive(pid)), 5000, 'the brew server to exit');
    expect((await statusJson(b)).owner.kind).toBe('headroom');
  });
});
