/**
 * The Ollama server under pm2, measured with the fake `ollama` of the tests (a Node script: its
 * own start-up, 63–79 ms to answer /api/version, stands in for the real binary's):
 * - the RSS of pm2's daemon ("God") right after the first start and after the restarts;
 * - the time from launching `headroom ollama restart` until the new server answers /api/version
 *   (what a user waits for), and the part of it the CLI reports itself (pm2 start → answer);
 * - the time from SIGTERM to exit of a daemon that has to stop the server and pm2.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { makeServerSandbox, type ServerSandbox } from '../test/helpers/server-sandbox.js';
import { quantile } from './bench-reaction.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

async function vmRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function cli(box: ServerSandbox, args: string[]) {
  return execa(process.execPath, [CLI, ...args, '--platform', 'linux', '--config', box.config], { env: box.env, extendEnv: false, reject: false, timeout: 60_000 });
}

/** What one run measured. */
export interface OllamaBench {
  godRssAfterStartBytes: number;
  godRssAfterRestartsBytes: number;
  restartToAnswerMs: number[];
  reportedReadyMs: number[];
  daemonStopMs: number[];
}

/** Runs `restarts` restarts and `stops` daemon shutdowns. */
export async function measureOllamaServer(restarts: number, stops: number): Promise<OllamaBench> {
  const box = await makeServerSandbox();
  try {
    const started = await cli(box, ['ollama', 'start']);
    if (started.exitCode !== 0) throw new Error(`ollama start failed: ${started.stderr}`);
    const god = box.godPid();
    if (!god) throw new Error('no pm2 daemon');
    const godRssAfterStartBytes = await vmRssBytes(god);
    const restartToAnswerMs: number[] = [];
    const reportedReadyMs: number[] = [];
    for (let i = 0; i < restarts; i += 1) {
      const before = (await box.fake.starts()).length;
      const launchedAt = performance.now();
      const running = cli(box, ['ollama', 'restart']);
      await until(async () => (await box.fake.starts()).length > before && (await box.get('/api/version')) !== null, 30_000, 'the restarted server');
      restartToAnswerMs.push(Math.round(performance.now() - launchedAt));
      const result = await running;
      const reported = /ready after (\d+) ms/.exec(String(result.stdout))?.[1];
      if (reported) reportedReadyMs.push(Number(reported));
    }
    const godRssAfterRestartsBytes = await vmRssBytes(god);
    await cli(box, ['ollama', 'stop']);

    const daemonStopMs: number[] = [];
    for (let i = 0; i < stops; i += 1) {
      await cli(box, ['ollama', 'start']);
      const daemon = box.daemon();
      await until(async () => (await readFile(box.logFile, 'utf8').catch(() => '')).split('\n').filter((line) => line.includes('Ollama server checked at start')).length > i, 30_000, 'the daemon to adopt the server');
      const stoppingAt = performance.now();
      daemon.kill('SIGTERM');
      await daemon;
      daemonStopMs.push(Math.round(performance.now() - stoppingAt));
    }
    return { godRssAfterStartBytes, godRssAfterRestartsBytes, restartToAnswerMs, reportedReadyMs, daemonStopMs };
  } finally {
    await box.cleanup();
  }
}

/** Prints a run. */
export function printOllamaBench(result: OllamaBench): void {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const line = (label: string, values: number[]) =>
    console.log(`${label.padEnd(44)} n=${values.length}  median ${quantile(values, 0.5)} ms  p95 ${quantile(values, 0.95)} ms  max ${Math.max(...values)} ms`);
  console.log('\nOllama under pm2 (fake ollama executable, linux backend)');
  console.log(`pm2 daemon RSS after the first start          ${mib(result.godRssAfterStartBytes)}`);
  console.log(`pm2 daemon RSS after the restarts             ${mib(result.godRssAfterRestartsBytes)}`);
  line('`headroom ollama restart` → /api/version', result.restartToAnswerMs);
  line('  of which pm2 start → /api/version (reported)', result.reportedReadyMs);
  line('daemon SIGTERM → exit, stopping server + pm2', result.daemonStopMs);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  printOllamaBench(await measureOllamaServer(20, 5));
}
