/** The simulator's output for people. Pure. */
import type { SimResult } from './simulate.js';
import type { TimelineEvent } from './timeline.js';

function describe(event: TimelineEvent): string {
  const models = (value: unknown): string => (Array.isArray(value) ? value.join(', ') : String(value));
  const available = typeof event.availableGiB === 'number' ? ` (${event.availableGiB} GiB available)` : '';
  switch (event.event) {
    case 'request':
      return `request ${String(event.model)}: ${String(event.sizeGiB)} GiB ${String(event.kind)} model, loads in ${String(event.loadS)} s`;
    case 'process-start':
      return `process ${String(event.name)} starts at ${String(event.startGiB)} GiB, +${String(event.growGiBPerStep)} GiB every ${String(event.stepS)} s`;
    case 'process-stop':
      return `process ${String(event.name)} ends`;
    case 'pressure':
      return `kernel pressure ${String(event.to)}${available}`;
    case 'level':
      return `guard ${String(event.to)}: ${String(event.reason)}`;
    case 'unload':
      return `unload ${models(event.models)} [${String(event.rule)}]${available}`;
    case 'would-unload':
      return `would unload ${models(event.models)} [${String(event.rule)}] (dry run)${available}`;
    case 'unload-skipped':
      return `unload of ${models(event.models)} skipped: ${String(event.why)}`;
    case 'unloaded':
      return `${String(event.model)} is gone from /api/ps after ${String(event.waitedS)} s`;
    case 'unload-failed':
      return `${String(event.model)} is still loaded: ${String(event.error)}`;
    case 'notify':
      return `notify "${String(event.title)}": ${String(event.message)}`;
    case 'notify-suppressed':
      return `notification suppressed: "${String(event.title)}"`;
    case 'ollama-evicted':
      return `Ollama evicts ${String(event.model)} to make room`;
    case 'ollama-expired':
      return `Ollama unloads ${String(event.model)}: keep-alive expired`;
    case 'lockup':
      return `LOCKUP: under the lockup line since +${String(event.underSinceS)} s (${String(event.availableGiB)} GiB available, ${String(event.ollamaGiB)} GiB in Ollama)`;
    default:
      return event.event;
  }
}

/** The timeline and the summary, one event per line. */
export function renderSimulation(result: SimResult): string {
  const lines = [`scenario: ${result.scenario}${result.guard ? '' : ' (without the guard)'}`];
  for (const event of result.timeline) lines.push(`  ${`+${event.atS.toFixed(1)} s`.padStart(9)}  ${describe(event)}`);
  const { summary } = result;
  lines.push('summary');
  lines.push(`  lowest available   ${summary.lowestAvailableGiB} GiB at +${summary.lowestAvailableAtS} s`);
  lines.push(`  time at warn       ${summary.timeAtWarnS} s`);
  lines.push(`  time at critical   ${summary.timeAtCriticalS} s`);
  lines.push(`  models unloaded    ${summary.modelsUnloaded.map((m) => `${m.model} (+${m.atS} s, ${m.rule})`).join(', ') || 'none'}`);
  lines.push(`  lockup             ${summary.lockup ? `yes, from +${String(summary.lockupAtS)} s` : 'no'}`);
  lines.push(`  verdict            ${summary.verdict}`);
  return `${lines.join('\n')}\n`;
}
