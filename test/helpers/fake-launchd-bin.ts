/**
 * Fake `launchctl`, `plutil`, `id` and `osascript` for the LaunchAgent commands on Linux. Each
 * records its argv (one call per line, arguments joined by \x1f). launchctl keeps whether the
 * agent is loaded in a file and answers like the real one: `print` with the running capture
 * (test/fixtures/darwin/launchctl-print-running.txt, its first line renamed to the target) or the
 * "Could not find service" capture and exit 113; `bootstrap` of a loaded label with the captured
 * "Bootstrap failed: 5" and exit 5; `bootout` is asynchronous: `print` still finds the service
 * twice more. Not captures: the 112 answer for a missing gui domain (its wording is made up; the
 * code is launchctl's), and `bootout` of an unknown label (exit 3).
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fixturePath } from './fixtures.js';
import { readRecordedArgv } from './fake-darwin-bin.js';

/** How the fake launchctl behaves: `nogui` answers 112; `fail5` makes the next N bootstraps fail with 5. */
export interface FakeLaunchd {
  dir: string;
  /** The calls of one fake so far. */
  calls(name: 'launchctl' | 'plutil' | 'id' | 'osascript'): Promise<string[][]>;
  /** Forgets the recorded calls. */
  resetCalls(): Promise<void>;
  setLoaded(loaded: boolean): Promise<void>;
  isLoaded(): Promise<boolean>;
  /** The next `count` bootstraps fail with 5 even when the label is gone. */
  failBootstraps(count: number): Promise<void>;
  setMode(mode: 'ok' | 'nogui'): Promise<void>;
  /** plutil -lint fails. */
  setPlistBad(bad: boolean): Promise<void>;
  cleanup(): Promise<void>;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const RECORD = `for arg in "$@"; do printf '%s\\037' "$arg"; done >> "$here/$(basename "$0").argv"; echo >> "$here/$(basename "$0").argv"`;

/** Writes the fakes into a new temporary folder. */
export async function makeFakeLaunchd(): Promise<FakeLaunchd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hr-launchd-'));
  const running = quote(fixturePath('darwin', 'launchctl-print-running.txt'));
  const missing = quote(fixturePath('darwin', 'launchctl-print-missing.stderr.txt'));
  const failed5 = quote(fixturePath('darwin', 'brew-services-bootstrap-failed-5.txt'));
  const launchctl = `#!/bin/sh
here=$(dirname "$0")
${RECORD}
mode=$(cat "$here/launchctl.mode" 2>/dev/null || echo ok)
if [ "$mode" = nogui ]; then echo "Could not find domain for user gui: 501" >&2; exit 112; fi
# A bootout in progress: print still finds the service while the count lasts.
if [ -f "$here/launchctl.draining" ]; then
  n=$(cat "$here/launchctl.draining")
  if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$here/launchctl.draining"; else rm -f "$here/launchctl.draining" "$here/launchctl.loaded"; fi
fi
label=\${2##*/}
case "$1" in
  print)
    if [ -f "$here/launchctl.loaded" ]; then sed "1s|.*|$2 = {|" ${running}; exit 0; fi
    sed "s/com.mattstack.deck.nosuchapp/$label/" ${missing} >&2; exit 113 ;;
  bootout)
    if [ -f "$here/launchctl.loaded" ]; then echo 2 > "$here/launchctl.draining"; exit 0; fi
    echo "Boot-out failed: 3: No such process" >&2; exit 3 ;;
  bootstrap)
    n=$(cat "$here/launchctl.fail5" 2>/dev/null || echo 0)
    if [ "$n" -gt 0 ] || [ -f "$here/launchctl.loaded" ]; then
      [ "$n" -gt 0 ] && echo $((n - 1)) > "$here/launchctl.fail5"
      head -n 2 ${failed5} >&2; exit 5
    fi
    touch "$here/launchctl.loaded"; exit 0 ;;
  kickstart)
    shift; [ "$1" = -k ] && shift
    if [ -f "$here/launchctl.loaded" ]; then exit 0; fi
    sed "s/com.mattstack.deck.nosuchapp/\${1##*/}/" ${missing} >&2; exit 113 ;;
esac
echo "Unrecognized subcommand: $1" >&2; exit 64
`;
  const plutil = `#!/bin/sh
here=$(dirname "$0")
${RECORD}
if [ -f "$here/plutil.bad" ]; then echo "$2: Encountered unexpected character & on line 5"; exit 1; fi
echo "$2: OK"
`;
  const id = `#!/bin/sh
here=$(dirname "$0")
${RECORD}
[ "$1" = -u ] && echo 501 && exit 0
echo "uid=501(tester) gid=20(staff)"
`;
  const osascript = `#!/bin/sh
here=$(dirname "$0")
${RECORD}
exit 0
`;
  for (const [name, text] of Object.entries({ launchctl, plutil, id, osascript })) {
    await writeFile(path.join(dir, name), text);
    await chmod(path.join(dir, name), 0o755);
  }
  const file = (name: string): string => path.join(dir, name);
  return {
    dir,
    calls: (name) => readRecordedArgv(file(`${name}.argv`)),
    resetCalls: async () => {
      for (const name of ['launchctl', 'plutil', 'id', 'osascript']) await rm(file(`${name}.argv`), { force: true });
    },
    setLoaded: async (loaded) => {
      await rm(file('launchctl.draining'), { force: true });
      if (loaded) await writeFile(file('launchctl.loaded'), '');
      else await rm(file('launchctl.loaded'), { force: true });
    },
    isLoaded: () => readFile(file('launchctl.loaded')).then(() => true, () => false),
    failBootstraps: (count) => writeFile(file('launchctl.fail5'), String(count)),
    setMode: (mode) => writeFile(file('launchctl.mode'), mode),
    setPlistBad: async (bad) => {
      if (bad) await writeFile(file('plutil.bad'), '');
      else await rm(file('plutil.bad'), { force: true });
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
