/** windowserver.json in the state folder: the WindowServer last seen (mode 0600, written atomically). */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseIdentity, type WindowServerIdentity } from './restart.js';

/** Reads and writes the WindowServer record. */
export interface IdentityStore {
  /** The record; null when there is none or it is unreadable. */
  read(): WindowServerIdentity | null;
  write(identity: WindowServerIdentity): void;
}

/** The record as a file beside state.json. */
export class IdentityFile implements IdentityStore {
  readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'windowserver.json');
  }

  read(): WindowServerIdentity | null {
    try {
      return parseIdentity(readFileSync(this.file, 'utf8'));
    } catch {
      return null;
    }
  }

  write(identity: WindowServerIdentity): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(identity)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
