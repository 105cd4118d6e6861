/**
 * `npm run bench:processes`: what the WindowServer watch and the process guard cost on this
 * machine, apart from the daemon. No Mac is measured here: the darwin parsers run on rows built
 * from the captures, and the cost of `ps`, `top` and `log show` themselves on a Mac is quoted
 * from public sources in docs/windowserver.md.
 *
 *   parse ps          parsePsDetails over ROWS rows (one `ps -axww` of a busy Mac)
 *   parse top         parseTopFootprints over ROWS rows
 *   parse log         parseLogPrecursors over the captured kernel lines, repeated to ROWS lines
 *   /proc list        LinuxProcessInspector.list() on the real /proc
 *   /proc heaviest    LinuxProcessInspector.heaviest(10) on the real /proc (status for all, smaps_rollup for 25)
 *   longest hold      per call, the longest the event loop waited (median and max of 50): what a sample due meanwhile waits
 *   one ps -p         ChildProcessRunner.run('ps', …, '-p', pid): the watch's reading, parent CPU and wall time
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { ChildProcessRunner } from '../src/adapters/child-process-runner.js';
import { parseLogPrecursors } from '../src/platform/darwin/unified-log.js';
import { parsePsDetails } from '../src/platform/darwin/ps-details.js';
import { parseTopFootprints } from '../src/platform/darwin/top.js';
import { LinuxProcessInspector } from '../src/platform/linux/processes.js';
import { readFixture } from '../test/helpers/fixtures.js';

const ROWS = 600;
const REPEAT = 200;

/** Rows built from the captured WindowServer and Ollama rows, renumbered (see src/platform/darwin/ps-details.test.ts). */
const PS_TEXT = Array.from({ length: ROWS }, (_, i) => `${String(1000 + i).padStart(5)}     1   501  93616   0:50.10 Wed Dec  2 08:00:30 2026 /Applications/Ollama.app/Contents/Resources/ollama runner --ollama-engine --model /Users/u/.ollama/models/blobs/sha256-x --port ${50000 + i}`).join('\n');
const TOP_TEXT = `${readFixture('darwin', 'top-l1-header-macmini-32g.txt')}\nPID    MEM\n${Array.from({ length: ROWS }, (_, i) => `${1000 + i}   ${(i % 900) + 10}M  `).join('\n')}\n`;
const LOG_LINES = readFixture('darwin', 'log-kernel-low-swap-no-paging-space.txt').trim().split('\n');
const LOG_TEXT = Array.from({ length: ROWS }, (_, i) => LOG_LINES[i % LOG_LINES.length]).join('\n');

/** CPU µs per call of `fn`, over `times` calls after a warm-up. */
async function cpuMicros(times: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, times); i++) await fn();
  const before = process.cpuUsage();
  for (let i = 0; i < times; i++) await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / times;
}

/** Per call of `fn` (`times` calls), the longest stretch in µs without a turn of the event loop. */
async function longestHolds(times: number, fn: () => Promise<unknown>): Promise<number[]> {
  const holds: number[] = [];
  for (let i = 0; i < times; i++) {
    let longest = 0;
    let last = performance.now();
    let running = true;
    const turn = (): void => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (running) setImmediate(turn);
    };
    setImmediate(turn);
    await fn();
    running = false;
    holds.push(Math.max(longest, performance.now() - last) * 1000);
  }
  return holds.sort((a, b) => a - b);
}

/** "median / max" of per-call longest holds. */
async function holdText(times: number, fn: () => Promise<unknown>): Promise<string> {
  const holds = await longestHolds(times, fn);
  return `${format(holds[Math.floor(holds.length / 2)] ?? 0)} / ${format(holds.at(-1) ?? 0)}`;
}

const results: Array<[string, string]> = [];
const format = (micros: number): string => (micros >= 1000 ? `${(micros / 1000).toFixed(2)} ms` : `${micros.toFixed(1)} µs`);

results.push([`parse ps (${ROWS} rows)`, format(await cpuMicros(REPEAT, () => parsePsDetails(PS_TEXT)))]);
results.push([`parse top (${ROWS} rows)`, format(await cpuMicros(REPEAT, () => parseTopFootprints(TOP_TEXT)))]);
results.push([`parse log (${ROWS} lines)`, format(await cpuMicros(REPEAT, () => parseLogPrecursors(LOG_TEXT)))]);
const inspector = new LinuxProcessInspector('/proc');
const processes = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).length;
results.push([`/proc list (${processes} processes)`, format(await cpuMicros(50, () => inspector.list()))]);
results.push([`/proc heaviest(10) (${processes} processes)`, format(await cpuMicros(50, () => inspector.heaviest(10)))]);
// The event loop's longest wait per call (median / max of 50), beside an idle 10 ms for the noise of this machine.
results.push(['longest hold, median / max: /proc list', await holdText(50, () => inspector.list())]);
results.push(['longest hold, median / max: /proc heaviest(10)', await holdText(50, () => inspector.heaviest(10))]);
results.push(['longest hold, median / max: idle 10 ms (noise)', await holdText(50, () => new Promise((resolve) => setTimeout(resolve, 10)))]);
const runner = new ChildProcessRunner({ PATH: process.env.PATH ?? '/usr/bin:/bin' });
const wallStart = performance.now();
const spawnMicros = await cpuMicros(100, () => runner.run('ps', ['-ww', '-o', 'pid=,ppid=,uid=,rss=,time=,lstart=,command=', '-p', String(process.pid)], { timeoutMs: 5000 }));
results.push(['one ps -p (parent CPU; procps ps here, not BSD ps)', format(spawnMicros)]);
results.push(['one ps -p (wall, incl. the child)', format(((performance.now() - wallStart) * 1000) / 120)]);

console.log(`\nWindowServer watch and process guard costs (node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores)\n`);
for (const [what, value] of results) console.log(`${what.padEnd(52)} ${value.padStart(19)}`);
