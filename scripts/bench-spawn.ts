/**
 * `npm run bench:spawn`: what it costs the daemon to run one batched sysctl, three ways. Each
 * variant runs in its own process, 500 times against the fake sysctl of the tests, and reports
 * the parent's CPU per call and its RSS afterwards. docs/memory.md quotes the results.
 *
 *   execa         execa('sysctl', names), the library the project started with
 *   child_process ChildProcessRunner.run('sysctl', names), what one-shot commands use
 *   xargs pump    SysctlPump.read(): one line to a long-lived `xargs -L 1 sysctl`
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ChildProcessRunner } from '../src/adapters/child-process-runner.js';
import { systemClock } from '../src/adapters/system-clock.js';
import { MEMORY_SYSCTL_NAMES } from '../src/platform/darwin/memory-figures.js';
import { SysctlPump } from '../src/platform/darwin/sysctl-pump.js';
import { makeFakeDarwinBin } from '../test/helpers/fake-darwin-bin.js';
import { fixturePath } from '../test/helpers/fixtures.js';

const CALLS = 500;
const WARMUP = 50;
const variants = ['execa', 'child_process', 'xargs pump'] as const;
type Variant = (typeof variants)[number];

async function runVariant(variant: Variant, binDir: string): Promise<void> {
  const env = { PATH: `${binDir}:${process.env.PATH ?? ''}`, HOME: os.tmpdir() };
  const runner = new ChildProcessRunner(env);
  const pump = new SysctlPump(runner, systemClock, MEMORY_SYSCTL_NAMES, 5000);
  const once: Record<Variant, () => Promise<unknown>> = {
    execa: () => execa('sysctl', [...MEMORY_SYSCTL_NAMES], { env, extendEnv: false, reject: false, stdin: 'ignore' }),
    child_process: () => runner.run('sysctl', MEMORY_SYSCTL_NAMES, { timeoutMs: 5000 }),
    'xargs pump': () => pump.read(),
  };
  for (let i = 0; i < WARMUP; i++) await once[variant]();
  const before = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) await once[variant]();
  const used = process.cpuUsage(before);
  await pump.close();
  process.stdout.write(JSON.stringify({ cpuMsPerCall: (used.user + used.system) / 1000 / CALLS, rssMiB: process.memoryUsage().rss / 1048576 }));
}

const [, , mode, variant, binDir] = process.argv;
if (mode === '--variant' && variant && binDir) {
  await runVariant(variant as Variant, binDir);
} else {
  const bin = await makeFakeDarwinBin({
    sysctlFiles: [fixturePath('darwin', 'sysctl-hw-m4-24g.txt'), fixturePath('darwin', 'sysctl-pressure-warn-m4-24g.txt')],
    vmStatFile: fixturePath('darwin', 'vm_stat-m4-16g-macos26.5.1.txt'),
    vmStatStreamFile: fixturePath('darwin', 'vm_stat-c1-intel-4096-streaming.txt'),
  });
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'hr-bench-spawn-'));
  try {
    console.log(`one batched sysctl, ${CALLS} calls per variant (node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'})\n`);
    console.log('variant         parent CPU / call   RSS after');
    const self = fileURLToPath(import.meta.url);
    const tsx = path.resolve(path.dirname(self), '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
    for (const name of variants) {
      const out = execFileSync(process.execPath, [tsx, self, '--variant', name, bin.dir], { encoding: 'utf8', cwd: scratch });
      const result = JSON.parse(out) as { cpuMsPerCall: number; rssMiB: number };
      console.log(`${name.padEnd(15)} ${`${result.cpuMsPerCall.toFixed(2)} ms`.padStart(17)} ${`${result.rssMiB.toFixed(0)} MiB`.padStart(11)}`);
    }
    console.log('\nRSS includes tsx, which loads the TypeScript sources; compare the rows, not the absolute figure.');
  } finally {
    await bin.cleanup();
    await rm(scratch, { recursive: true, force: true });
  }
}
