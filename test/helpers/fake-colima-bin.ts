/**
 * Fake `colima`, `limactl`, `docker` and `ps` executables for spawning the CLI: shell scripts,
 * first on PATH, that record each call's argv and answer from scripted cases (the outputs come
 * from test/fixtures/colima and docker, or are built by the test, which says so). A case matches
 * the arguments joined by spaces; `once` cases are used up, so a later case with the same
 * arguments answers the next call; `effect` is shell run before answering (it may remove a file,
 * or create `docker.up`, the marker the test's fake Docker socket answers by). `ps -o
 * uid=,etime=,comm= -p PID` answers from a table of processes.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRecordedArgv } from './fake-darwin-bin.js';

/** One scripted answer. */
export interface FakeCase {
  args: string;
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Shell run before answering; `$HERE` is the fakes' folder. */
  effect?: string;
  once?: boolean;
}

/** A row of the fake process table: what `ps -p` shows for a pid. */
export interface FakeProcess {
  pid: number;
  uid: number;
  /** ps's elapsed time, `[[dd-]hh:]mm:ss`. */
  etime: string;
  comm: string;
}

/** The folder of fakes. */
export interface FakeColimaBin {
  dir: string;
  /** Scripts a tool's answers (replacing earlier ones). */
  script(tool: 'colima' | 'limactl' | 'docker', cases: FakeCase[]): void;
  processes(rows: FakeProcess[]): void;
  /** Each call's argv, one list per call. */
  calls(tool: 'colima' | 'limactl' | 'docker' | 'ps' | 'sysctl'): Promise<string[][]>;
  /** The marker the fake Docker socket answers by. */
  dockerUpMarker: string;
  cleanup(): void;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const SCRIPTED = (tool: string): string => `#!/bin/sh
# Fake ${tool} (test/helpers/fake-colima-bin.ts): records argv, answers from $HERE/${tool}.d.
HERE=$(dirname "$0")
for arg in "$@"; do printf '%s\\037' "$arg"; done >> "$HERE/${tool}.argv"; echo >> "$HERE/${tool}.argv"
want="$*"
for args in "$HERE/${tool}.d/"*.args; do
  [ -e "$args" ] || break
  case=\${args%.args}
  [ "$(cat "$args")" = "$want" ] || continue
  if [ -e "$case.once" ]; then
    [ -e "$case.used" ] && continue
    touch "$case.used"
  fi
  [ -e "$case.sh" ] && . "$case.sh"
  [ -e "$case.out" ] && cat "$case.out"
  [ -e "$case.err" ] && cat "$case.err" >&2
  exit "$(cat "$case.code")"
done
echo "fake ${tool}: no answer for: $want" >&2
exit 127
`;

/** Writes the fakes into a new temporary folder. */
export function makeFakeColimaBin(): FakeColimaBin {
  const dir = mkdtempSync(path.join(existsSync('/tmp') ? '/tmp' : os.tmpdir(), 'hr-cbin-'));
  for (const tool of ['colima', 'limactl', 'docker']) writeFileSync(path.join(dir, tool), SCRIPTED(tool), { mode: 0o755 });
  writeFileSync(
    path.join(dir, 'ps'),
    `#!/bin/sh
# Fake ps: \`ps -o uid=,etime=,comm= -p PID\` from $HERE/ps.table ("pid uid etime comm" rows); exit 1 and nothing for an unknown pid, as ps does.
HERE=$(dirname "$0")
for arg in "$@"; do printf '%s\\037' "$arg"; done >> "$HERE/ps.argv"; echo >> "$HERE/ps.argv"
[ "$1 $2 $3" = "-o uid=,etime=,comm= -p" ] || { echo "fake ps: unexpected $*" >&2; exit 2; }
row=$(awk -v pid="$4" '$1 == pid { $1 = ""; print; exit }' "$HERE/ps.table" 2>/dev/null)
[ -n "$row" ] || exit 1
set -- $row
uid=$1; etime=$2; shift 2
printf '%5s %11s %s\\n' "$uid" "$etime" "$*"
`,
    { mode: 0o755 },
  );
  const dockerUpMarker = path.join(dir, 'docker.up');
  return {
    dir,
    dockerUpMarker,
    script(tool, cases) {
      const caseDir = path.join(dir, `${tool}.d`);
      rmSync(caseDir, { recursive: true, force: true });
      mkdirSync(caseDir);
      cases.forEach((c, index) => {
        const base = path.join(caseDir, String(index).padStart(3, '0'));
        writeFileSync(`${base}.args`, c.args);
        writeFileSync(`${base}.code`, String(c.exitCode ?? 0));
        if (c.stdout !== undefined) writeFileSync(`${base}.out`, c.stdout);
        if (c.stderr !== undefined) writeFileSync(`${base}.err`, c.stderr);
        if (c.effect !== undefined) writeFileSync(`${base}.sh`, c.effect);
        if (c.once) writeFileSync(`${base}.once`, '');
      });
    },
    processes(rows) {
      writeFileSync(path.join(dir, 'ps.table'), rows.map((r) => `${r.pid} ${r.uid} ${r.etime} ${r.comm}`).join('\n') + '\n');
    },
    calls: (tool) => readRecordedArgv(path.join(dir, `${tool}.argv`)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fake sysctl that answers the boot identity (`kern.bootsessionuuid`, `kern.boottime`), recording its calls. */
export function addFakeBootSysctl(dir: string, uuid: string, bootedAtMs: number): void {
  // No capture of kern.bootsessionuuid was found: the line is built in the `name: value` form of the
  // captured sysctl lines; kern.boottime follows test/fixtures/darwin/sysctl-hw-m1-16g-boottime.txt.
  const sec = Math.floor(bootedAtMs / 1000);
  const text = `kern.bootsessionuuid: ${uuid}\nkern.boottime: { sec = ${sec}, usec = 0 } ${new Date(sec * 1000).toUTCString()}\n`;
  writeFileSync(path.join(dir, 'sysctl.answer'), text);
  writeFileSync(path.join(dir, 'sysctl'), `#!/bin/sh\nfor arg in "$@"; do printf '%s\\037' "$arg"; done >> ${quote(path.join(dir, 'sysctl.argv'))}; echo >> ${quote(path.join(dir, 'sysctl.argv'))}\ncat ${quote(path.join(dir, 'sysctl.answer'))}\n`, { mode: 0o755 });
}
