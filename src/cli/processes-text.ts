/** `headroom status`'s WindowServer and processes lines, and `headroom processes`' table. Pure. */
import { formatBytes, formatDurationMs } from '../core/units.js';
import type { ProcessesState } from '../daemon/state-file.js';
import type { HeavyProcess } from '../processes/heaviest.js';
import type { ProcessPreview } from '../processes/preview.js';
import { restartSummary } from '../windowserver/restart.js';
import type { WindowServerStatus } from '../windowserver/watch.js';

const ago = (now: number, at: number): string => `${formatDurationMs(Math.max(0, now - at))} ago`;

/** "display   WindowServer ok (pid 372, CPU 4% of a core)", and a line for a restart without a reboot. */
export function windowServerLines(status: WindowServerStatus, now: number): string[] {
  const pid = status.pid === null ? '' : `pid ${status.pid}: `;
  const lines = [`display   WindowServer ${status.health} (${pid}${status.reason})${status.emergency !== null ? ', emergency' : ''}`];
  const restart = status.restart;
  if (restart) {
    // A state written before the evidence was kept has no `lostSession`: it was called lost then.
    lines.push(`          restarted without a reboot ${ago(now, restart.current.startedAt ?? restart.detectedAt)} (pid ${restart.previous.pid} → ${restart.current.pid}): ${restartSummary({ lostSession: restart.lostSession !== false })}`);
  }
  return lines;
}

/** "ollama 5.0 GiB" for one process; the metric is named once for the line. */
function heavyText(process: HeavyProcess): string {
  return `${process.name} ${formatBytes(process.bytes)}`;
}

const METRIC_WORDS = { footprint: 'physical footprint', pss: 'PSS', rss: 'RSS' } as const;

/** The heaviest processes in one line, and the guarded ones' last action. */
export function processesLines(state: ProcessesState | null, now: number, limit = 5): string[] {
  if (!state) return [];
  const lines: string[] = [];
  const sample = state.heaviest;
  if (!sample) lines.push('heaviest  not sampled yet (sampled while memory pressure is not normal; "headroom processes" samples now)');
  else {
    const metrics = [...new Set(sample.processes.map((p) => METRIC_WORDS[p.metric]))].join(', ');
    lines.push(`heaviest  ${sample.processes.slice(0, limit).map(heavyText).join(', ') || 'none'} (${metrics || 'memory'}, ${ago(now, sample.sampledAt)})`);
  }
  if (state.guarded > 0) {
    const last = state.actions.at(-1);
    const action = last ? `; last: ${last.name} (pid ${last.pid}) ${ago(now, last.at)}: ${last.outcome.kind}` : '; none acted on';
    lines.push(`guarded   ${state.guarded} pattern${state.guarded === 1 ? '' : 's'}${state.dryRun ? ' (dry run)' : ''}${action}`);
  }
  return lines;
}

/** `headroom processes`: the heaviest now, and for each guarded pattern, what it matches and what would happen. */
export function renderProcessesPreview(preview: ProcessPreview): string {
  const lines: string[] = [];
  const metrics = [...new Set(preview.heaviest.map((p) => METRIC_WORDS[p.metric]))].join(', ') || 'memory';
  lines.push(`heaviest processes, by ${metrics}:`);
  for (const process of preview.heaviest) {
    const note = preview.notes[process.pid];
    lines.push(`  ${formatBytes(process.bytes).padStart(9)}  ${process.name.padEnd(20)} pid ${String(process.pid).padEnd(7)}${note ? ` ${note}` : ''}`.trimEnd());
  }
  if (preview.rules.length === 0) lines.push('no guarded patterns (processes.guarded in the config)');
  for (const rule of preview.rules) {
    lines.push(`guarded #${rule.index} /${rule.pattern}/: at ${rule.stage}, ${rule.action}${rule.action === 'notify' ? '' : ` (grace ${formatDurationMs(rule.graceMs)})`}`);
    if (rule.matches.length === 0) lines.push('  no process matches');
    for (const match of rule.matches) lines.push(`  pid ${match.pid} ${match.name}: ${match.verdict}`);
  }
  return `${lines.join('\n')}\n`;
}
