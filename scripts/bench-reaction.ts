/**
 * Reaction latency: the time from the fake sysctl starting to report critical pressure to the
 * fake Ollama receiving the unload, on the real daemon (built, --platform darwin). Each trial
 * reloads two models, waits for the guard to be back at normal, waits a random part of an
 * interval (so the switch lands anywhere in the tick), swaps the sysctl answer to critical (and
 * the vm_stat row with it: test/helpers/pressure-phases.ts) and times the first unload request.
 * "from normal" switches straight from a normal answer; "from warn" first holds a warn answer,
 * during which the daemon samples every fastIntervalMs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFakeDarwinBin } from '../test/helpers/fake-darwin-bin.js';
import { FakeOllama } from '../test/helpers/fake-ollama.js';
import { fixturePath } from '../test/helpers/fixtures.js';
import { PressurePhases } from '../test/helpers/pressure-phases.js';
import { probeDaemon } from '../src/daemon/instance-lock.js';
import type { DaemonState } from '../src/daemon/state-file.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
const GiB = 1024 ** 3;
/** One configuration's latencies in ms. */
export interface ReactionResult {
  intervalMs: number;
  from: 'normal' | 'warn';
  latenciesMs: number[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Runs `trials` trials for one interval and starting level. */
export async function measureReaction(intervalMs: number, from: 'normal' | 'warn', trials: number): Promise<ReactionResult> {
  const home = await mkdtemp(path.join('/tmp', 'hr-react-'));
  // Each phase moves the vm_stat row with the sysctl answer, as pages move on a Mac whose pressure rises.
  const phases = await PressurePhases.create(home);
  const bin = await makeFakeDarwinBin({
    sysctlFiles: [phases.sysctlFile, fixturePath('darwin', 'sysctl-hw-m4-24g.txt')],
    vmStatFile: fixturePath('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'),
    vmStatStreamFile: phases.vmStatStreamFile,
    vmStatStreamLive: true,
  });
  const ollama = new FakeOllama();
  await ollama.start();
  ollama.showFrom('a:2b', 'show-text.json');
  ollama.showFrom('b:3b', 'show-text.json');
  const load = (): void => {
    const expires = (s: number): string => new Date(Date.now() + s * 1000).toISOString();
    ollama.loaded = [
      { name: 'a:2b', size: 2 * GiB, size_vram: 2 * GiB, digest: 'a', expires_at: expires(60) },
      { name: 'b:3b', size: 3 * GiB, size_vram: 3 * GiB, digest: 'b', expires_at: expires(240) },
    ];
  };
  const config = path.join(home, 'config.yaml');
  // Short recovery and cooldown so trials follow each other quickly; a long warn sustain so the
  // warn phase never acts by itself. Neither changes how fast a critical reading is acted on.
  // No probes: a scheduled run's /api/generate would be taken for an unload.
  await writeFile(
    config,
    `daemon:\n  intervalMs: ${intervalMs}\n  fastIntervalMs: 250\nollama:\n  url: ${ollama.url}\n  manage: false\nguard:\n  sustainMs: 600000\n  recoverMs: 500\n  cooldownMs: 500\nnotify:\n  enabled: false\nprobe:\n  enabled: false\ndocker:\n  enabled: false\n`,
  );
  const stateFile = path.join(home, 'Library', 'Application Support', 'headroom', 'state.json');
  const daemon = spawn(process.execPath, [CLI, 'run', '--platform', 'darwin', '--config', config], {
    env: { HOME: home, PATH: `${bin.dir}:${process.env.PATH ?? ''}` },
    stdio: 'ignore',
  });
  // Live over the control socket: the state file is written at most every 10 s while nothing notable changes.
  const state = async (): Promise<DaemonState | undefined> => (await probeDaemon(path.join(path.dirname(stateFile), 'headroom.sock')))?.state;
  const latenciesMs: number[] = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      load();
      await phases.set('normal');
      await until(async () => {
        const current = await state();
        return current?.guard?.level === 'normal' && current.ollama?.models.length === 2 ? current : undefined;
      }, 30_000, 'the guard back at normal with both models');
      if (from === 'warn') await phases.set('warn');
      // Two more samples in this phase, so that "from warn" runs at the fast interval.
      const ready = await state();
      await until(async () => ((await state())?.samples ?? 0) >= (ready?.samples ?? 0) + 2 ? true : undefined, 30_000, 'two samples');
      await sleep(Math.random() * intervalMs);
      const before = ollama.unloads.length;
      const switchedAt = Date.now();
      await phases.set('critical');
      await until(() => Promise.resolve(ollama.unloads.length > before ? true : undefined), 30_000, 'the unload');
      const request = ollama.unloadRequests[before];
      latenciesMs.push((request?.at ?? Date.now()) - switchedAt);
      // Critical unloads both models; let the second request land before the next trial reloads them.
      await until(() => Promise.resolve(ollama.unloads.length >= before + 2 ? true : undefined), 30_000, 'both unloads');
      await phases.set('normal');
    }
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((resolve) => daemon.once('exit', resolve));
    await ollama.stop();
    await bin.cleanup();
    if (!process.env.HEADROOM_BENCH_KEEP) await rm(home, { recursive: true, force: true });
  }
  return { intervalMs, from, latenciesMs };
}

/** The q-quantile (0–1) of `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
