/** Renders the Docker recovery for people: `headroom docker status`, `recover`, and the `docker` line of `headroom status`. Pure. */
import { formatDurationMs } from '../core/units.js';
import type { StartFacts } from '../daemon/previous-run.js';
import { describeAction } from '../docker/executor.js';
import type { GaveUpRecord } from '../docker/gave-up-file.js';
import type { RecoveryReport } from '../docker/recovery.js';
import type { DockerStatus } from '../docker/service.js';
import type { ServiceResult } from '../docker/services.js';
import type { ColimaFacts, Diagnosis, PingResult } from '../docker/types.js';

const KEY = 10;
const pad = (key: string): string => key.padEnd(KEY);
const indent = ' '.repeat(KEY);

/** What the start facts say about the boot, in a few words; null when there is nothing to say. */
export function bootLine(start: StartFacts): string | null {
  if (start.previous === null) return null;
  const parts: string[] = [];
  if (start.rebooted) parts.push('the machine rebooted since the last headroom run');
  if (start.uncleanStop) parts.push(start.rebooted ? 'which did not stop cleanly (a power cut, a panic or a forced restart?)' : 'the last headroom run did not stop cleanly');
  return parts.length > 0 ? parts.join(', ') : null;
}

/** `headroom docker status`: the profile, Docker, what was found, the plan, and the daemon's view. */
export function renderDockerStatus(facts: ColimaFacts, diagnosis: Diagnosis, start: StartFacts, daemon: DockerStatus | null, gaveUp: GaveUpRecord | null, now: number): string {
  const { profile } = facts;
  const lines = [`${pad('profile')}${profile.name} (Lima instance ${profile.instance}; Colima home ${profile.colimaHome}: ${facts.homeWhy})`];
  if (facts.installed.colima && facts.profileExists) lines.push(`${pad('docker')}${facts.ping.ok ? `answers on ${facts.ping.socket} (${facts.ping.durationMs} ms)` : `does not answer on ${facts.ping.socket}: ${facts.ping.error ?? '?'}`}`);
  lines.push(`${pad('context')}${facts.context.name ?? '(DOCKER_HOST)'} → ${facts.context.endpoint ?? '?'} (from ${facts.context.source})${facts.desktop.active ? ', Docker Desktop' : ''}`);
  const boot = bootLine(start);
  if (boot) lines.push(`${pad('boot')}${boot}`);
  lines.push(`${pad('verdict')}${diagnosis.verdict}: ${diagnosis.summary}`);
  diagnosis.findings.forEach((finding, index) => lines.push(`${index === 0 ? pad('found') : indent}${finding.level === 'info' ? '' : `${finding.level}: `}${finding.text}`));
  diagnosis.actions.forEach((action, index) => lines.push(`${index === 0 ? pad('plan') : indent}${index + 1}. [${action.tier}] ${describeAction(action, profile.name)}: ${action.reason}`));
  if (daemon) lines.push(`${pad('daemon')}${daemon.state}: ${daemon.summary}${daemon.checkedAt !== null ? ` (checked ${formatDurationMs(Math.max(0, now - daemon.checkedAt))} ago)` : ''}`);
  else if (gaveUp) lines.push(`${pad('gave up')}${new Date(gaveUp.at).toISOString()}: ${gaveUp.summary}`);
  return `${lines.join('\n')}\n`;
}

/** `headroom docker recover`: each action with its outcome and reason, the services, the outcome. */
export function renderRecovery(report: RecoveryReport): string {
  const lines: string[] = [];
  for (const action of report.actions) lines.push(`${action.ok ? (action.dryRun ? 'plan' : 'done') : 'FAIL'}  [${action.tier}] ${action.detail}: ${action.reason}`);
  for (const service of report.services) lines.push(`${serviceWord(service)}  ${service.service}: ${service.detail}`);
  lines.push(`${report.outcome}: ${report.summary}`);
  return `${lines.join('\n')}\n`;
}

function serviceWord(service: ServiceResult): string {
  return service.state === 'running' || service.state === 'started' ? 'ok  ' : service.state === 'would-start' ? 'plan' : 'FAIL';
}

/** The `docker` line of `headroom status`: the daemon's view, or a quick look without one. */
export function dockerLine(daemon: DockerStatus | null, quick: { profile: string; installed: boolean; ping: PingResult } | null): string | null {
  if (daemon) {
    const words: Record<DockerStatus['state'], string> = { unknown: 'not checked yet', healthy: 'healthy', inactive: 'inactive', stopped: 'stopped', down: 'down', recovering: 'recovering', 'gave-up': 'down, recovery gave up', 'dry-run': 'down (dry run)' };
    return `${pad('docker')}${words[daemon.state]}: ${daemon.summary} (colima ${daemon.profile})`;
  }
  if (!quick) return null;
  if (!quick.installed) return `${pad('docker')}inactive: colima is not installed (not found on PATH)`;
  return `${pad('docker')}${quick.ping.ok ? `answers on ${quick.ping.socket}` : `does not answer on ${quick.ping.socket}: ${quick.ping.error ?? '?'}`} (colima ${quick.profile})`;
}
