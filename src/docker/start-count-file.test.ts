import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromAnotherBoot, StartCountFile } from './start-count-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hr-starts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('fromAnotherBoot', () => {
  it('is true only when the boot id or the boot time proves another boot; a boot that cannot be compared counts as this one', () => {
    expect(fromAnotherBoot({ bootId: 'A', bootedAt: 1 }, { id: 'B', bootedAt: 1 })).toBe(true);
    expect(fromAnotherBoot({ bootId: 'A', bootedAt: 1 }, { id: 'A', bootedAt: 999_999 })).toBe(false);
    expect(fromAnotherBoot({ bootId: null, bootedAt: 100_000 }, { id: 'B', bootedAt: 200_000 })).toBe(true);
    expect(fromAnotherBoot({ bootId: null, bootedAt: 100_000 }, { id: 'B', bootedAt: 130_000 })).toBe(false);
    expect(fromAnotherBoot({ bootId: 'A', bootedAt: 1 }, null)).toBe(false);
    expect(fromAnotherBoot({ bootId: null, bootedAt: null }, { id: 'B', bootedAt: 1 })).toBe(false);
  });
});

describe('StartCountFile', () => {
  it("counts a profile's starts in its boot (mode 0600), nothing for another profile or boot, and clears", () => {
    const file = new StartCountFile(path.join(dir, 'docker-starts-default.json'));
    const counter = file.counter('default', { id: 'A', bootedAt: 1 }, () => 42);
    expect(counter.used()).toEqual({ starts: 0, vmDeleted: false });
    counter.record({ starts: 2, vmDeleted: false });
    expect(statSync(file.file).mode & 0o777).toBe(0o600);
    expect(file.read()).toEqual({ schemaVersion: 1, profile: 'default', bootId: 'A', bootedAt: 1, starts: 2, vmDeleted: false, at: 42 });
    expect(file.counter('default', { id: 'A', bootedAt: 1 }, () => 0).used()).toEqual({ starts: 2, vmDeleted: false });
    expect(file.used('data', { id: 'A', bootedAt: 1 })).toEqual({ starts: 0, vmDeleted: false });
    expect(file.used('default', { id: 'B', bootedAt: 1 })).toEqual({ starts: 0, vmDeleted: false });
    // The boot cannot be read: the record counts (a restart loop stays bounded).
    expect(file.used('default', null)).toEqual({ starts: 2, vmDeleted: false });
    counter.clear();
    expect(counter.used()).toEqual({ starts: 0, vmDeleted: false });
  });

  it('reads a broken or foreign file as no record', () => {
    const file = new StartCountFile(path.join(dir, 'docker-starts-default.json'));
    writeFileSync(file.file, '{oops');
    expect(file.read()).toBeNull();
    writeFileSync(file.file, JSON.stringify({ schemaVersion: 1, profile: 'default', starts: -1 }));
    expect(file.read()).toBeNull();
  });
});
