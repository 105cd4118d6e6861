/**
 * Fake `sysctl` and `vm_stat` executables for running the darwin backend on Linux. They answer
 * from real captures in test/fixtures/darwin; which captures, and what is composite or derived,
 * is said by each test that builds them.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** How the fake sysctl behaves; switchable while a daemon runs. */
export type SysctlMode = 'ok' | 'hang' | 'fail' | 'garbage';

/** A folder of fake binaries to put first on PATH. */
export interface FakeDarwinBin {
  dir: string;
  setSysctlMode(mode: SysctlMode): Promise<void>;
  cleanup(): Promise<void>;
}

/** What the fakes answer with. */
export interface FakeDarwinAnswers {
  /** Files whose `name: value` lines sysctl answers from; the first file with a name wins. */
  sysctlFiles: string[];
  /** One-shot `vm_stat` output. */
  vmStatFile: string;
  /**
   * `vm_stat N` output: the file's first two lines (banner, header) once, then its third line
   * (a data row) every N seconds. Real later rows hold deltas in the counter columns, which
   * headroom does not read; the gauges are what it reads.
   */
  vmStatStreamFile: string;
  /** Read the data row again before each print, so that a test can move memory by rewriting the file (renamed into place). */
  vmStatStreamLive?: boolean;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Writes the fakes into a new temporary folder. */
export async function makeFakeDarwinBin(answers: FakeDarwinAnswers): Promise<FakeDarwinBin> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hr-fakebin-'));
  const files = answers.sysctlFiles.map(quote).join(' ');
  const sysctl = `#!/bin/sh
# Fake sysctl (see test/helpers/fake-darwin-bin.ts). Mode file: ok | hang | fail | garbage.
here=$(dirname "$0")
echo "$*" >> "$here/sysctl.calls"
mode=$(cat "$here/sysctl.mode" 2>/dev/null || echo ok)
case "$mode" in
  hang) exec sleep 600 ;;
  fail) echo "fake sysctl: failing on purpose" >&2; exit 1 ;;
  garbage) echo '%%% garbage %%%'; exit 0 ;;
esac
# One awk for all names: the first file with a name wins; names are answered in the order asked.
exec awk -v names="$*" '
  BEGIN { n = split(names, want, " ") }
  { for (i = 1; i <= n; i++) if (!(want[i] in line) && index($0, want[i] ": ") == 1) line[want[i]] = $0 }
  END {
    rc = 0
    for (i = 1; i <= n; i++) {
      if (want[i] in line) print line[want[i]]
      else { print "sysctl: unknown oid \\047" want[i] "\\047" > "/dev/stderr"; rc = 1 }
    }
    exit rc
  }' ${files}
`;
  const vmStat = `#!/bin/sh
# Fake vm_stat (see test/helpers/fake-darwin-bin.ts).
here=$(dirname "$0")
echo "$*" >> "$here/vm_stat.calls"
if [ $# -eq 0 ]; then cat ${quote(answers.vmStatFile)}; exit 0; fi
head -n 2 ${quote(answers.vmStatStreamFile)}
row=$(sed -n 3p ${quote(answers.vmStatStreamFile)})
while :; do
  printf '%s\\n' "$row" || exit 0
  sleep "$1"
${answers.vmStatStreamLive ? `  row=$(sed -n 3p ${quote(answers.vmStatStreamFile)})
` : ''}done
`;
  await writeFile(path.join(dir, 'sysctl'), sysctl);
  await writeFile(path.join(dir, 'vm_stat'), vmStat);
  await chmod(path.join(dir, 'sysctl'), 0o755);
  await chmod(path.join(dir, 'vm_stat'), 0o755);
  return {
    dir,
    setSysctlMode: (mode) => writeFile(path.join(dir, 'sysctl.mode'), mode),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Writes a fake executable that records each call's argv as one line (arguments joined by \x1f) and exits 0. */
export async function addRecordingFake(dir: string, name: string): Promise<string> {
  const log = path.join(dir, `${name}.argv`);
  await writeFile(
    path.join(dir, name),
    `#!/bin/sh\n# Fake ${name}: records its argv, one call per line.\nfor arg in "$@"; do printf '%s\\037' "$arg"; done >> ${quote(log)}\necho >> ${quote(log)}\n`,
    { mode: 0o755 },
  );
  return log;
}

/** Reads what a recording fake saw: one argv per call. */
export async function readRecordedArgv(log: string): Promise<string[][]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\x1f').slice(0, -1));
}
