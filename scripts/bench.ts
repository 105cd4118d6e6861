/**
 * `npm run bench`: what one memory sample costs, measured on the real daemon process.
 *
 * For each backend it starts `headroom run` (built, from dist/) at intervalMs 100 (or at the
 * defaults, `--real-time`; see Pace), lets it warm up, then reads its CPU time from
 * /proc/<pid>/stat across the measured samples, and its RSS at the end. A first row measures the
 * floor the same way: a bare Node process that wakes as often and does nothing. The darwin backend runs against the fake `sysctl` and `vm_stat` of the
 * integration tests, so its child CPU is that of sh/awk fakes, not of the real tools; the
 * daemon's own CPU (spawning, parsing, writing state) is what carries over to a Mac.
 * The linux backend reads this machine's own /proc (procfs, as on any Linux), not the tests' fake
 * proc root: its files are kept open and read with one pread each, which only procfs allows.
 * Child processes per sample are counted from the fakes' call logs. On darwin the WindowServer
 * watch runs too, against fake pgrep and ps, one reading per 10 samples (three times its default
 * rate at 1 s sampling, so that its cost shows above the noise), and once more without it, for
 * its cost by difference; its `ps` runs are counted apart ("watch / sample"). Memory is calm (normal
 * pressure) and the guard watches a fake Ollama with two models, the steady state of a machine
 * with headroom; under pressure the daemon samples four times as often on purpose.
 * Then the reaction latency (bench-reaction.ts) and the Ollama server under pm2 (bench-ollama.ts),
 * unless `--sampling-only` (`npm run bench -- --sampling-only`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFakeDarwinBin } from '../test/helpers/fake-darwin-bin.js';
import { addProcessFakes, psRow } from '../test/helpers/fake-process-bin.js';
import { fixturePath } from '../test/helpers/fixtures.js';
import { PressurePhases } from '../test/helpers/pressure-phases.js';
import { FakeOllama, psFixtureModels } from '../test/helpers/fake-ollama.js';
import { measureOllamaServer, printOllamaBench } from './bench-ollama.js';
import { measureReaction, quantile } from './bench-reaction.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
/**
 * How fast the daemon runs in a measurement. The default packs 1000 samples into 100 s, with
 * /api/ps every 2 samples while memory moves and every 30 while it stays still, on darwin a
 * sysctl at least every 5 samples while memory stays still, and a WindowServer reading every 10
 * (the defaults' ratios at 1 s, the watch three times its calm rate). `--real-time` runs the
 * defaults themselves (1 s, /api/ps every 2 s or 30 s, sysctl at least every 5 s, the watch every
 * 30 s) for 180 samples, so that what costs per wake-up, not per sample, counts as it does on a
 * machine at rest. Memory stays still here: the fakes repeat one reading, as an idle Mac nearly does.
 */
interface Pace {
  name: string;
  intervalMs: number;
  pollIntervalMs: number;
  /** /api/ps while memory stays still (it does here: the fakes repeat one reading). */
  stillPollIntervalMs: number;
  /** darwin: the oldest a calm sysctl answer may be while the vm_stat rows stay still. */
  sysctlMaxAgeMs: number;
  watchIntervalMs: number;
  warmup: number;
  measured: number;
}

const PACKED: Pace = { name: 'intervalMs 100', intervalMs: 100, pollIntervalMs: 200, stillPollIntervalMs: 3000, sysctlMaxAgeMs: 500, watchIntervalMs: 1000, warmup: 20, measured: 1000 };
const REAL_TIME: Pace = { name: 'the defaults (intervalMs 1000)', intervalMs: 1000, pollIntervalMs: 2000, stillPollIntervalMs: 30_000, sysctlMaxAgeMs: 5000, watchIntervalMs: 30_000, warmup: 10, measured: 180 };
const realTime = process.argv.includes('--real-time');
const pace = realTime ? REAL_TIME : PACKED;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

interface ProcTimes {
  ownMs: number;
  childrenMs: number;
}

async function procTimes(pid: number): Promise<ProcTimes> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that closes the command name: state is field 3; utime 14, stime 15, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = (index: number) => Number(fields[index - 3]);
  return {
    ownMs: ((ticks(14) + ticks(15)) * 1000) / CLOCK_TICKS,
    childrenMs: ((ticks(16) + ticks(17)) * 1000) / CLOCK_TICKS,
  };
}

/** CPU of the daemon's children: those it waited for, plus its live children and what they waited for. */
async function childrenCpuMs(pid: number): Promise<number> {
  let total = (await procTimes(pid)).childrenMs;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) !== pid) continue; // field 4, ppid
    const times = await procTimes(Number(entry)).catch(() => ({ ownMs: 0, childrenMs: 0 }));
    total += times.ownMs + times.childrenMs;
  }
  return total;
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function samplesIn(stateFile: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(stateFile, 'utf8')) as { samples: number }).samples;
  } catch {
    return 0;
  }
}

async function lastPressure(stateFile: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(stateFile, 'utf8')) as { memory: { pressure: string } | null }).memory?.pressure ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function waitForSamples(stateFile: string, count: number): Promise<number> {
  for (;;) {
    const samples = await samplesIn(stateFile);
    if (samples >= count) return samples;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function countLines(file: string): Promise<number> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

interface Result {
  backend: string;
  cpuMsPer1000: number;
  childCpuMsPer1000: number;
  rssMiB: number;
  childrenPerSample: number;
  /** pgrep and ps runs of the WindowServer watch per sample (darwin). */
  watchPerSample: number;
  /** /api/ps reads per sample in the measured window. */
  apiPsPerSample: number;
  /** `vm_stat N` streams and xargs sysctl pumps started over the whole run (one each, unless restarted). */
  longLivedChildren: number;
  /** The pressure in the last state written: anything but normal makes the guard read /api/ps every tick. */
  pressure: string;
}

/** One backend's run; `watch: false` turns the WindowServer watch off, to see its cost by difference. */
async function measure(backend: 'linux' | 'darwin', watch = true): Promise<Result> {
  const { intervalMs, pollIntervalMs, stillPollIntervalMs, sysctlMaxAgeMs, watchIntervalMs, warmup, measured } = pace;
  const home = await mkdtemp(path.join(os.tmpdir(), 'hr-bench-'));
  // The fakes sit first on PATH for both backends: the linux backend must call neither.
  // The normal phase is an edit of captures (test/helpers/pressure-phases.ts); it stays normal here.
  const phases = await PressurePhases.create(home);
  const ollama = new FakeOllama();
  await ollama.start();
  ollama.loaded = psFixtureModels('ps-two-models.json');
  ollama.showFrom('granite3.3:2b', 'show-text.json');
  ollama.showFrom('llava-llama3:8b', 'show-vision-projector.json');
  const bin = await makeFakeDarwinBin({
    sysctlFiles: [phases.sysctlFile, fixturePath('darwin', 'sysctl-hw-m4-24g.txt')],
    vmStatFile: fixturePath('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'),
    vmStatStreamFile: phases.vmStatStreamFile,
  });
  // Count the xargs pumps the daemon starts: a wrapper that logs, then runs the real xargs.
  const realXargs = execFileSync('sh', ['-c', 'command -v xargs'], { encoding: 'utf8' }).trim();
  await writeFile(path.join(bin.dir, 'xargs'), `#!/bin/sh\necho "$*" >> "$(dirname "$0")/xargs.calls"\nexec ${realXargs} "$@"\n`, { mode: 0o755 });
  // WindowServer for the watch: a row built from the captures (see src/platform/darwin/ps-details.test.ts).
  const watchFakes = await addProcessFakes(bin.dir);
  await watchFakes.setWindowServer(372);
  await watchFakes.setRows([psRow({ pid: 372, uid: 88, rssKiB: 105120, time: '276:18.30', lstart: 'Wed Dec  2 08:00:30 2026', command: '/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon' })]);
  const watchCalls = async (): Promise<number> => (await countLines(path.join(bin.dir, 'ps.argv'))) + (await countLines(path.join(bin.dir, 'pgrep.argv')));
  const config = path.join(home, 'config.yaml');
  // /api/ps is read at the ratios of the defaults at 1 s (see Pace).
  await writeFile(
    config,
    `daemon:\n  intervalMs: ${intervalMs}\nollama:\n  url: ${ollama.url}\n  pollIntervalMs: ${pollIntervalMs}\n  stillPollIntervalMs: ${stillPollIntervalMs}\ndarwin:\n  sysctlMaxAgeMs: ${sysctlMaxAgeMs}\nwindowServer:\n  enabled: ${watch}\n  intervalMs: ${watchIntervalMs}\nnotify:\n  enabled: false\n`,
  );
  const stateFile =
    backend === 'darwin'
      ? path.join(home, 'Library', 'Application Support', 'headroom', 'state.json')
      : path.join(home, '.local', 'state', 'headroom', 'state.json');
  const child = spawn(process.execPath, [CLI, 'run', '--platform', backend, '--config', config], {
    env: { HOME: home, PATH: `${bin.dir}:${process.env.PATH ?? ''}` },
    stdio: 'ignore',
  });
  try {
    const pid = child.pid!;
    const startSamples = await waitForSamples(stateFile, warmup);
    const startTimes = await procTimes(pid);
    const startChildrenMs = await childrenCpuMs(pid);
    const startCalls = (await countLines(path.join(bin.dir, 'sysctl.calls'))) + (await countLines(path.join(bin.dir, 'vm_stat.calls')));
    const startWatch = await watchCalls();
    const startApiPs = ollama.requestsTo('/api/ps').length;
    const endSamples = await waitForSamples(stateFile, startSamples + measured);
    const endTimes = await procTimes(pid);
    const endChildrenMs = await childrenCpuMs(pid);
    const rss = await rssBytes(pid);
    const endCalls = (await countLines(path.join(bin.dir, 'sysctl.calls'))) + (await countLines(path.join(bin.dir, 'vm_stat.calls')));
    const endWatch = await watchCalls();
    const endApiPs = ollama.requestsTo('/api/ps').length;
    const samples = endSamples - startSamples;
    const vmStatStreams = (await readFile(path.join(bin.dir, 'vm_stat.calls'), 'utf8').catch(() => ''))
      .split('\n')
      .filter((line) => line.trim() !== '');
    const pumps = await countLines(path.join(bin.dir, 'xargs.calls'));
    return {
      backend: watch ? backend : `${backend}, no WindowServer watch`,
      cpuMsPer1000: ((endTimes.ownMs - startTimes.ownMs) * 1000) / samples,
      childCpuMsPer1000: ((endChildrenMs - startChildrenMs) * 1000) / samples,
      rssMiB: rss / 1024 / 1024,
      childrenPerSample: (endCalls - startCalls) / samples,
      watchPerSample: (endWatch - startWatch) / samples,
      apiPsPerSample: (endApiPs - startApiPs) / samples,
      longLivedChildren: vmStatStreams.length + pumps,
      pressure: await lastPressure(stateFile),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await bin.cleanup();
    await ollama.stop();
    await rm(home, { recursive: true, force: true });
  }
}

const reactionTrials = 20;
/** The floor: a Node process that wakes every `intervalMs` and does nothing, measured like the daemon. */
async function measureFloor(): Promise<number> {
  const { intervalMs, warmup, measured } = pace;
  const child = spawn(process.execPath, ['-e', `setInterval(() => {}, ${intervalMs})`], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, warmup * intervalMs));
    const start = await procTimes(child.pid!);
    await new Promise((resolve) => setTimeout(resolve, measured * intervalMs));
    const end = await procTimes(child.pid!);
    return ((end.ownMs - start.ownMs) * 1000) / measured;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const backends = realTime ? 'linux, darwin' : 'linux, darwin, then darwin without the WindowServer watch';
const minutes = Math.round((((realTime ? 3 : 4) * (pace.warmup + pace.measured) * pace.intervalMs) / 60_000) * 1.1);
process.stderr.write(`measuring a bare Node timer, then ${backends}: ${pace.warmup} warm-up + ${pace.measured} samples each at ${pace.name} (about ${minutes} min)…\n`);
const floorMsPer1000 = await measureFloor();
// One after the other: side by side, the fakes' own CPU on a 2-core machine skews both figures.
const results = realTime ? [await measure('linux'), await measure('darwin')] : [await measure('linux'), await measure('darwin'), await measure('darwin', false)];
const perSecond = 1000 / pace.intervalMs;
console.log(`\nheadroom sampling cost at ${pace.name} (node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores)\n`);
console.log('backend                         daemon CPU / 1000 samples  = % of one core at 1 s  children CPU / 1000  RSS after  children / sample  watch / sample  /api/ps / sample  long-lived');
console.log([`bare Node timer (the floor)`.padEnd(31), `${floorMsPer1000.toFixed(0)} ms`.padStart(25), `${(floorMsPer1000 / 1000 / 10).toFixed(3)}%`.padStart(23)].join(' '));
for (const r of results) {
  console.log(
    [
      r.backend.padEnd(31),
      `${r.cpuMsPer1000.toFixed(0)} ms`.padStart(25),
      `${(r.cpuMsPer1000 / 1000 / 10).toFixed(3)}%`.padStart(23),
      `${r.childCpuMsPer1000.toFixed(0)} ms`.padStart(20),
      `${r.rssMiB.toFixed(1)} MiB`.padStart(10),
      r.childrenPerSample.toFixed(3).padStart(17),
      r.watchPerSample.toFixed(3).padStart(15),
      r.apiPsPerSample.toFixed(3).padStart(17),
      String(r.longLivedChildren).padStart(11),
    ].join(' '),
  );
}
for (const r of results.filter((result) => result.pressure !== 'normal')) {
  console.log(`\nnote: ${r.backend} ended at ${r.pressure} pressure, so its guard read /api/ps every tick: its row is not the calm steady state.`);
}
console.log('\n% of one core at 1 s = CPU per sample / 1000 ms. darwin children are sh/awk fakes, not sysctl itself.');
console.log('"bare Node timer": `node -e "setInterval(() => {}, intervalMs)"`, what one wake-up costs on this machine.');
console.log('"children / sample": sysctl runs in the measured window (the darwin ones are started by the xargs pump,');
console.log('not by the daemon); "watch / sample": the WindowServer watch\'s ps (and pgrep) runs, started by the daemon,');
console.log(`at one reading per ${(pace.watchIntervalMs / pace.intervalMs).toFixed(0)} samples; "long-lived": vm_stat streams and xargs pumps started over the whole run.`);
if (perSecond !== 1) {
  console.log(`/api/ps every ${pace.pollIntervalMs / pace.intervalMs} samples while memory moves, every ${pace.stillPollIntervalMs / pace.intervalMs} while it stays still;`);
  console.log(`darwin: sysctl every sample while memory moves, every ${pace.sysctlMaxAgeMs / pace.intervalMs} while it stays still; as at the defaults.`);
}
if (realTime) process.exit(0);
if (process.argv.includes('--sampling-only')) process.exit(0);

process.stderr.write(`\nmeasuring reaction latency: ${reactionTrials} trials each, intervalMs 1000 and 250, from normal and from warn (about 4 min)…\n`);
const reactions = [];
for (const intervalMs of [1000, 250]) {
  for (const from of ['normal', 'warn'] as const) reactions.push(await measureReaction(intervalMs, from, reactionTrials));
}
console.log('\nreaction latency: fake sysctl reports critical → fake Ollama receives the unload');
console.log('intervalMs  from     trials  median   p95      max      goal p95 ≤ intervalMs + 250 ms');
for (const r of reactions) {
  const p95 = quantile(r.latenciesMs, 0.95);
  console.log(
    [
      String(r.intervalMs).padEnd(10),
      r.from.padEnd(7),
      String(r.latenciesMs.length).padStart(6),
      `${quantile(r.latenciesMs, 0.5)} ms`.padStart(8),
      `${p95} ms`.padStart(8),
      `${Math.max(...r.latenciesMs)} ms`.padStart(8),
      p95 <= r.intervalMs + 250 ? '  met' : '  missed',
    ].join(' '),
  );
}
console.log('"from warn": the pressure was at warn first, so the daemon was sampling every fastIntervalMs (250 ms).');

printOllamaBench(await measureOllamaServer(20, 5));
