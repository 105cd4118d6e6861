/** `headroom probe`'s table and `headroom status`'s probe line. Pure. */
import { formatDurationMs } from '../core/units.js';
import type { ProbeStatus } from '../probe/service.js';
import type { ProbeResult, ProbeRun } from '../probe/types.js';

function latency(ms: number | null): string {
  return ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`;
}

function rate(tokensPerSecond: number | null): string {
  return tokensPerSecond === null ? '-' : tokensPerSecond.toFixed(1);
}

/** Pads each column to its widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd());
}

/** The run's one-line verdict: "passed: 2 of 2 probes", "failed: 1 of 2 probes", "skipped: pressure: warn". */
export function runVerdict(run: ProbeRun): string {
  if (run.outcome === 'skipped') return `skipped: ${run.reason ?? 'no reason given'}`;
  const passed = run.results.filter((r) => r.verdict === 'pass').length;
  if (run.outcome === 'passed') return `passed: ${passed} of ${run.results.length} probes`;
  if (run.results.length === 0 || run.results.every((r) => r.answer === null && r.latencyMs === null)) return `failed: ${run.reason ?? run.results[0]?.reason ?? 'no answer'}`;
  return `failed: ${run.results.length - passed} of ${run.results.length} probes`;
}

/** The table of `headroom probe`: the model, a row per probe, the verdict. */
export function renderProbeRun(run: ProbeRun): string {
  const lines: string[] = [];
  if (run.model) lines.push(`model  ${run.model} (${run.modelWhy ?? '?'})`);
  if (run.results.length > 0) {
    const rows = [['probe', 'verdict', 'latency', 'tokens/s', 'detail']];
    for (const result of run.results) rows.push([result.probe, result.verdict, latency(result.latencyMs), rate(result.tokensPerSecond), detail(result)]);
    lines.push(...table(rows));
  }
  lines.push(runVerdict(run));
  if (run.escalation) lines.push(run.escalation);
  return `${lines.join('\n')}\n`;
}

function detail(result: ProbeResult): string {
  if (result.verdict === 'pass') return result.answer ? JSON.stringify(result.answer.length > 60 ? `${result.answer.slice(0, 57)}...` : result.answer) : '';
  return result.reason ?? '';
}

/** `probes    passed: 2 of 2 probes with qwen3:8b 12 min ago (schedule); next in 18 min`. */
export function probeLine(lastRun: ProbeRun | null, status: ProbeStatus | null, now: number): string {
  const parts: string[] = [];
  if (lastRun) {
    const model = lastRun.model ? ` with ${lastRun.model}` : '';
    parts.push(`${runVerdict(lastRun)}${model}, ${formatDurationMs(Math.max(0, now - lastRun.finishedAt))} ago (${lastRun.trigger})`);
  } else parts.push('no run yet');
  if (status) {
    if (status.failedRuns > 0) parts.push(`${status.failedRuns} failed runs in a row`);
    if (status.running) parts.push('a run is under way');
    else if (status.nextRunAt !== null) parts.push(`next in ${formatDurationMs(Math.max(0, status.nextRunAt - now))}`);
    else if (status.schedule === null) parts.push('not scheduled (probe.enabled is false)');
  }
  return `probes    ${parts.join('; ')}`;
}
