/** The Ollama server's status for people: who serves, its environment, pm2, health. Pure. */
import { formatBytes, formatDurationMs } from '../core/units.js';
import type { EnvSafety } from '../ollama/safe-env.js';
import type { ServerHealth, ServerStatus } from '../ollama/server.js';

/** The environment verdict in words. */
export function envText(env: EnvSafety): string {
  switch (env.verdict) {
    case 'safe':
      return 'safe environment';
    case 'unsafe':
      return `UNSAFE environment: ${env.differences.join(', ')}`;
    case 'unknown':
      return `environment unknown (${env.why})`;
  }
}

/** The health checks in words. */
export function healthText(health: ServerHealth): string {
  if (health.budgetSpent) {
    return `failing; restart budget spent (${health.restartsInWindow} restarts): headroom no longer restarts it${health.lastError ? ` (last error: ${health.lastError})` : ''}`;
  }
  if (health.consecutiveFailures > 0) return `${health.consecutiveFailures} failed check(s) in a row (last error: ${health.lastError ?? 'none'})`;
  if (health.lastCheckAt === null) return 'not checked yet';
  return health.restartsInWindow > 0 ? `answering (${health.restartsInWindow} restart(s) in the budget window)` : 'answering';
}

/** pm2's view in words. */
export function pm2Text(status: ServerStatus): string {
  const managed = status.managed;
  if (!managed) return 'pm2 cannot be asked';
  if (!managed.daemon && !managed.app) return 'pm2 not running';
  const parts: string[] = [];
  if (managed.app) {
    const app = managed.app;
    parts.push(`${app.status}${app.pid ? ` (pid ${app.pid})` : ''}, ${app.restarts} restart(s)${app.unstableRestarts > 0 ? `, ${app.unstableRestarts} within min uptime` : ''}${app.exitCode !== null && app.status !== 'online' ? `, last exit code ${app.exitCode}` : ''}`);
  } else {
    parts.push('no app');
  }
  if (managed.daemon) parts.push(`pm2 daemon pid ${managed.daemon.pid}${managed.daemon.rssBytes !== null ? `, ${formatBytes(managed.daemon.rssBytes)}` : ''}`);
  return parts.join('; ');
}

/** The lines `headroom status` shows for the server. */
export function serverLines(status: ServerStatus): string[] {
  const lines = [`server    ${status.description}, ${envText(status.env)}`, `          ${status.plan}`];
  if (status.health.lastCheckAt !== null || status.health.budgetSpent) lines.push(`          health: ${healthText(status.health)}`);
  if (status.warning) lines.push(`warning   ${status.warning}`);
  return lines;
}

/** The whole `headroom ollama status` text. `now` dates the health check. */
export function renderServerStatus(status: ServerStatus, now: number): string {
  const lines = [
    `served by  ${status.description}`,
    `env        ${envText(status.env)}`,
    `binary     ${status.binary ?? 'none found (set ollama.binary, or put ollama on PATH)'}`,
    `pm2        ${pm2Text(status)}`,
    `plan       ${status.plan}`,
  ];
  if (status.stoppedByUser) lines.push('stopped    by "headroom ollama stop"; "headroom ollama start" lifts it');
  const checked = status.health.lastCheckAt === null ? '' : ` (checked ${formatDurationMs(Math.max(0, now - status.health.lastCheckAt))} ago)`;
  lines.push(`health     ${healthText(status.health)}${checked}`);
  if (status.warning) lines.push(`warning    ${status.warning}`);
  return `${lines.join('\n')}\n`;
}
