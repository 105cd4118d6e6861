import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GaveUpFile, sameBoot } from './gave-up-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hr-gaveup-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sameBoot', () => {
  it('compares boot ids, else boot times within a minute', () => {
    expect(sameBoot({ bootId: 'A', bootedAt: 1 }, { id: 'A', bootedAt: 999_999 })).toBe(true);
    expect(sameBoot({ bootId: 'A', bootedAt: 1 }, { id: 'B', bootedAt: 1 })).toBe(false);
    expect(sameBoot({ bootId: null, bootedAt: 100_000 }, { id: 'B', bootedAt: 130_000 })).toBe(true);
    expect(sameBoot({ bootId: null, bootedAt: 100_000 }, { id: null, bootedAt: 200_000 })).toBe(false);
    expect(sameBoot({ bootId: 'A', bootedAt: 1 }, null)).toBe(false);
  });
});

describe('GaveUpFile', () => {
  it('writes a 0600 record that blocks its profile in its boot only, and clears it', () => {
    const file = new GaveUpFile(path.join(dir, 'docker-recovery.json'));
    expect(file.read()).toBeNull();
    file.write({ profile: 'default', bootId: 'A', bootedAt: 1, at: 5, summary: 'gave up' });
    expect(statSync(file.file).mode & 0o777).toBe(0o600);
    expect(file.blocking('default', { id: 'A', bootedAt: 1 })).toMatchObject({ summary: 'gave up', at: 5 });
    expect(file.blocking('data', { id: 'A', bootedAt: 1 })).toBeNull();
    expect(file.blocking('default', { id: 'B', bootedAt: 1 })).toBeNull();
    file.clear();
    expect(file.read()).toBeNull();
  });

  it('reads a broken file as no record', () => {
    writeFileSync(path.join(dir, 'docker-recovery.json'), '{oops');
    expect(new GaveUpFile(path.join(dir, 'docker-recovery.json')).read()).toBeNull();
  });
});
