/**
 * Memory pressure phases for the darwin backend's fakes: each phase's sysctl answer and vm_stat
 * row, written to files that the fake sysctl and a live fake vm_stat read (makeFakeDarwinBin with
 * `vmStatStreamLive`), so that a test or benchmark moves both at once, as a Mac does.
 *
 * Not captures, edits of them. No capture shows kern.memorystatus_vm_pressure_level at 1 or 4:
 * normal and critical are the captured warn sample (M4 24 GiB) with only the level changed, and
 * for normal the zero-swap capture's swap line. The rows are the M4 16 GiB capture's, with the
 * file cache (inactive and file-backed pages) 1 GiB smaller at warn and 1.5 GiB at critical,
 * which leaves available memory as it is: the daemon keeps a calm sysctl answer only while the
 * rows stay still (`darwin.sysctlMaxAgeMs`), so a phase that moved only sysctl would be seen late.
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readFixture } from './fixtures.js';
import { deriveVmStatStream } from './vm-stat-stream.js';

/** A pressure phase. */
export type PhaseName = 'normal' | 'warn' | 'critical';

const WARN = readFixture('darwin', 'sysctl-pressure-warn-m4-24g.txt');
const VM_STAT = readFixture('darwin', 'vm_stat-m4-16g-macos26.5.1.txt');
/** 1 GiB in the capture's 16 KiB pages. */
const GiB_PAGES = 65_536;

/** Each phase's sysctl answer (`name: value` lines for the pressure names). */
const PHASE_SYSCTL: Readonly<Record<PhaseName, string>> = {
  normal: WARN.replace(/^vm\.swapusage: .*$/m, readFixture('darwin', 'sysctl-vm.swapusage-zero.txt').trim()).replace(
    'kern.memorystatus_vm_pressure_level: 2',
    'kern.memorystatus_vm_pressure_level: 1',
  ),
  warn: WARN,
  critical: WARN.replace('kern.memorystatus_vm_pressure_level: 2', 'kern.memorystatus_vm_pressure_level: 4'),
};

/** Each phase's `vm_stat N` output (banner, header, one row). */
const PHASE_VM_STAT_STREAM: Readonly<Record<PhaseName, string>> = {
  normal: deriveVmStatStream(VM_STAT),
  warn: deriveVmStatStream(VM_STAT, { 'Pages inactive': -GiB_PAGES, 'File-backed pages': -GiB_PAGES }),
  critical: deriveVmStatStream(VM_STAT, { 'Pages inactive': -1.5 * GiB_PAGES, 'File-backed pages': -1.5 * GiB_PAGES }),
};

/** The two files of the current phase, in `dir`. */
export class PressurePhases {
  readonly sysctlFile: string;
  readonly vmStatStreamFile: string;

  private constructor(dir: string) {
    this.sysctlFile = path.join(dir, 'sysctl-phase.txt');
    this.vmStatStreamFile = path.join(dir, 'vm_stat-stream-phase.txt');
  }

  /** Writes the normal phase into `dir`. */
  static async create(dir: string): Promise<PressurePhases> {
    const phases = new PressurePhases(dir);
    await phases.set('normal');
    return phases;
  }

  /** Switches to `phase`: the row first, then the sysctl answer, each renamed into place (never half-written). */
  async set(phase: PhaseName): Promise<void> {
    await replace(this.vmStatStreamFile, PHASE_VM_STAT_STREAM[phase]);
    await replace(this.sysctlFile, PHASE_SYSCTL[phase]);
  }
}

async function replace(file: string, text: string): Promise<void> {
  await writeFile(`${file}.new`, text);
  await rename(`${file}.new`, file);
}
