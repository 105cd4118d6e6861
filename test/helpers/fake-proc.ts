/** A fake proc root (meminfo, pressure/memory) built from the Linux captures. */
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fixturePath } from './fixtures.js';

/** A temporary folder laid out like /proc for the files headroom reads (meminfo, pressure/memory, boot_id, stat). */
export interface FakeProc {
  root: string;
  /** Swaps in another capture pair (e.g. the low-memory one) while a daemon runs. */
  stage(meminfo: string, pressure: string): Promise<void>;
  cleanup(): Promise<void>;
}

/** Creates a fake proc root holding the given captures from test/fixtures/linux. */
export async function makeFakeProc(meminfo = 'meminfo-24g-idle.txt', pressure = 'pressure-memory-idle.txt'): Promise<FakeProc> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'hr-proc-'));
  await mkdir(path.join(root, 'pressure'));
  const stage = async (m: string, p: string): Promise<void> => {
    // Copy then rename, so a reader never sees a half-copied file.
    await copyFile(fixturePath('linux', m), path.join(root, 'meminfo.new'));
    await copyFile(fixturePath('linux', p), path.join(root, 'pressure', 'memory.new'));
    await rename(path.join(root, 'meminfo.new'), path.join(root, 'meminfo'));
    await rename(path.join(root, 'pressure', 'memory.new'), path.join(root, 'pressure', 'memory'));
  };
  await stage(meminfo, pressure);
  // Which boot this is (captures too): a test reboots the fake machine by writing another boot_id.
  await mkdir(path.join(root, 'sys', 'kernel', 'random'), { recursive: true });
  await copyFile(fixturePath('linux', 'boot_id.txt'), path.join(root, 'sys', 'kernel', 'random', 'boot_id'));
  await copyFile(fixturePath('linux', 'proc-stat.txt'), path.join(root, 'stat'));
  return { root, stage, cleanup: () => rm(root, { recursive: true, force: true }) };
}
