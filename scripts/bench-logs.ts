/**
 * `npm run bench:logs`: what the rotating log file costs per line, and how long `headroom logs`
 * takes on a full set of rotated files. Measures, asserts nothing.
 *
 *   write  CPU per 1 KiB line: RotatingFile that rotates (an fstat per write, as the daemon
 *          uses it), one that only appends (one-shot commands), and pino.destination (sync),
 *          what the daemon used before rotation
 *   read   `headroom logs --json -n 0` and `-n 100 --level warn` over 8 files of 10 MiB
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { RotatingFile } from '../src/adapters/rotating-file.js';

const LINES = 100_000;
const LINE = `${JSON.stringify({ level: 'debug', time: '2026-11-22T10:00:00.000Z', pid: 1, component: 'daemon', msg: 'sample', pad: 'x'.repeat(900) })}\n`;
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

function cpuPerLine(write: (line: string) => void): number {
  for (let i = 0; i < 1000; i++) write(LINE);
  const before = process.cpuUsage();
  for (let i = 0; i < LINES; i++) write(LINE);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / LINES;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'hr-bench-logs-'));
try {
  const rotating = new RotatingFile({ file: path.join(dir, 'rotating.log'), maxBytes: 10 * 2 ** 20, keepFiles: 7, rotate: true });
  const appending = new RotatingFile({ file: path.join(dir, 'appending.log'), maxBytes: Infinity, keepFiles: 1, rotate: false });
  const sonic = pino.destination({ dest: path.join(dir, 'sonic.log'), sync: true });
  console.log(`log writes (node ${process.version}, ${os.cpus().length} cores), ${LINES} lines of ${LINE.length} bytes`);
  console.log(`RotatingFile, rotating          ${cpuPerLine((line) => rotating.write(line)).toFixed(2)} µs CPU per line`);
  console.log(`RotatingFile, append only       ${cpuPerLine((line) => appending.write(line)).toFixed(2)} µs CPU per line`);
  console.log(`pino.destination sync (before)  ${cpuPerLine((line) => sonic.write(line)).toFixed(2)} µs CPU per line`);

  const home = path.join(dir, 'home');
  const logDir = path.join(home, '.local', 'state', 'headroom');
  execFileSync('mkdir', ['-p', logDir]);
  const levels = ['debug', 'info', 'warn'];
  const block = Array.from({ length: 10 * 1024 }, (_, i) => JSON.stringify({ level: levels[i % 3], time: new Date(Date.UTC(2026, 10, 22) + i * 1000).toISOString(), pid: 1, component: 'daemon', msg: 'sample', pad: 'x'.repeat(900) })).join('\n');
  for (const name of ['headroom.log', ...Array.from({ length: 7 }, (_, i) => `headroom.log.${i + 1}`)]) writeFileSync(path.join(logDir, name), `${block}\n`);
  const env = { HOME: home, PATH: process.env.PATH ?? '' };
  const time = (args: string[]): number => {
    const started = process.hrtime.bigint();
    execFileSync(process.execPath, [CLI, 'logs', '--platform', 'linux', ...args], { env, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 2 ** 30 });
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  console.log(`\nheadroom logs over 8 files × ${(block.length / 2 ** 20).toFixed(1)} MiB (${8 * 10 * 1024} lines)`);
  console.log(`--json -n 0 (every line)        ${time(['--json', '-n', '0']).toFixed(0)} ms`);
  console.log(`-n 100 --level warn (pretty)    ${time(['-n', '100', '--level', 'warn']).toFixed(0)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
