/**
 * Fake `pgrep`, `ps`, `top` and `log` for the WindowServer watch and the process guard on the
 * darwin backend. They answer from files the test writes beside them: `ws.pid` (what
 * `pgrep -x WindowServer` prints; absent: none runs, exit 1), `ps.rows` (rows of
 * `ps -o pid=,ppid=,uid=,rss=,time=,lstart=,command=`: all of them, or the one of `-p PID`, exit
 * 1 when none), `top.out` and `log.out` (printed as they are). Each records its argv, one call
 * per line, arguments joined by \x1f. What goes in the files is each test's to say.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readRecordedArgv } from './fake-darwin-bin.js';

/** The fakes' answers, switchable while a daemon runs. */
export interface FakeProcessBin {
  setWindowServer(pid: number | null): Promise<void>;
  setRows(rows: readonly string[]): Promise<void>;
  setTop(text: string): Promise<void>;
  setLog(text: string): Promise<void>;
  calls(name: 'pgrep' | 'ps' | 'top' | 'log'): Promise<string[][]>;
}

/** A ps detail row. */
export function psRow(row: { pid: number; ppid?: number; uid: number; rssKiB?: number; time?: string; lstart: string; command: string }): string {
  return [String(row.pid).padStart(5), String(row.ppid ?? 1).padStart(5), String(row.uid).padStart(5), String(row.rssKiB ?? 1024).padStart(7), (row.time ?? '0:00.10').padStart(9), row.lstart, row.command].join(' ');
}

const RECORD = `for arg in "$@"; do printf '%s\\037' "$arg"; done >> "$here/$(basename "$0").argv"; echo >> "$here/$(basename "$0").argv"`;

const SCRIPTS: Record<'pgrep' | 'ps' | 'top' | 'log', string> = {
  pgrep: `if [ -s "$here/ws.pid" ]; then cat "$here/ws.pid"; exit 0; fi
exit 1`,
  ps: `pid=""
prev=""
for arg in "$@"; do
  if [ "$prev" = "-p" ]; then pid=$arg; fi
  prev=$arg
done
if [ -z "$pid" ]; then cat "$here/ps.rows" 2>/dev/null; exit 0; fi
exec awk -v pid="$pid" '$1 == pid { print; found = 1 } END { exit found ? 0 : 1 }' "$here/ps.rows"`,
  top: `cat "$here/top.out" 2>/dev/null
exit 0`,
  log: `cat "$here/log.out" 2>/dev/null
exit 0`,
};

/** Writes the four fakes into `dir` (already first on the daemon's PATH). */
export async function addProcessFakes(dir: string): Promise<FakeProcessBin> {
  for (const [name, body] of Object.entries(SCRIPTS)) {
    await writeFile(path.join(dir, name), `#!/bin/sh\n# Fake ${name} (test/helpers/fake-process-bin.ts).\nhere=$(dirname "$0")\n${RECORD}\n${body}\n`, { mode: 0o755 });
  }
  const put = async (file: string, text: string): Promise<void> => {
    await writeFile(path.join(dir, `${file}.new`), text);
    await rename(path.join(dir, `${file}.new`), path.join(dir, file));
  };
  return {
    setWindowServer: async (pid) => (pid === null ? rm(path.join(dir, 'ws.pid'), { force: true }) : put('ws.pid', `${pid}\n`)),
    setRows: (rows) => put('ps.rows', rows.map((row) => `${row}\n`).join('')),
    setTop: (text) => put('top.out', text),
    setLog: (text) => put('log.out', text),
    calls: (name) => readRecordedArgv(path.join(dir, `${name}.argv`)),
  };
}
