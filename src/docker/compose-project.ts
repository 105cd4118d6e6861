/**
 * Docker and Compose outputs for the services check: `docker compose ls --all --format json`,
 * `docker inspect` of containers, the compose labels on them, and the "name already in use"
 * conflict that `compose up` hits when a container with a fixed name belongs to another project
 * name (docs/colima-pm2.md A3). Pure.
 */

/** One project of `docker compose ls`. */
export interface ComposeProject {
  name: string;
  /** As compose prints it: `running(2)`, `exited(1)`, `running(1), exited(1)`. */
  status: string;
  configFiles: string[];
}

/** The labels compose puts on its containers (docker/compose pkg/api/labels.go). */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  oneoff: 'com.docker.compose.oneoff',
} as const;

/** One container of `docker inspect`. */
export interface ContainerInfo {
  id: string;
  /** Without the leading slash. */
  name: string;
  running: boolean;
  /** created, restarting, running, removing, paused, exited, dead. */
  status: string;
  labels: Record<string, string>;
}

/** A container's compose project, from its labels; null when compose did not create it. */
export interface ComposeIdentity {
  project: string;
  service: string | null;
  workingDir: string | null;
  configFiles: string[];
}

/** Parses `docker compose ls --all --format json` (one JSON array). Throws on anything else. */
export function parseComposeLs(text: string): ComposeProject[] {
  const data = JSON.parse(text.trim() || '[]') as unknown;
  if (!Array.isArray(data)) throw new Error('not a JSON array');
  return data.flatMap((item: Record<string, unknown>) =>
    typeof item.Name === 'string'
      ? [{ name: item.Name, status: typeof item.Status === 'string' ? item.Status : '', configFiles: typeof item.ConfigFiles === 'string' && item.ConfigFiles ? item.ConfigFiles.split(',') : [] }]
      : [],
  );
}

/** Counts by state of a compose ls status: `running(1), exited(2)` → { running: 1, exited: 2 }. */
export function composeStates(status: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of status.matchAll(/(\w+)\((\d+)\)/g)) counts[match[1] ?? ''] = (counts[match[1] ?? ''] ?? 0) + Number(match[2]);
  return counts;
}

/** True when every container of the project runs. */
export function allRunning(status: string): boolean {
  const states = Object.entries(composeStates(status));
  return states.length > 0 && states.every(([state]) => state === 'running');
}

/** Parses `docker inspect` (a JSON array of containers). Throws on anything else. */
export function parseInspect(text: string): ContainerInfo[] {
  const data = JSON.parse(text.trim() || '[]') as unknown;
  if (!Array.isArray(data)) throw new Error('not a JSON array');
  return data.flatMap((item: { Id?: unknown; Name?: unknown; State?: { Running?: unknown; Status?: unknown }; Config?: { Labels?: unknown } }) => {
    if (typeof item.Id !== 'string' || typeof item.Name !== 'string') return [];
    const labels = item.Config?.Labels && typeof item.Config.Labels === 'object' ? (item.Config.Labels as Record<string, string>) : {};
    return [{ id: item.Id, name: item.Name.replace(/^\//, ''), running: item.State?.Running === true, status: typeof item.State?.Status === 'string' ? item.State.Status : 'unknown', labels }];
  });
}

/** The compose project of a container, from its labels. */
export function composeIdentity(labels: Readonly<Record<string, string>>): ComposeIdentity | null {
  const project = labels[COMPOSE_LABELS.project];
  if (!project) return null;
  const files = labels[COMPOSE_LABELS.configFiles];
  return { project, service: labels[COMPOSE_LABELS.service] ?? null, workingDir: labels[COMPOSE_LABELS.workingDir] ?? null, configFiles: files ? files.split(',') : [] };
}

/** The container name (without slash) and id a "name already in use" conflict names; null when there is none. */
export function parseNameConflict(text: string): { name: string; id: string } | null {
  const match = /Conflict\. The container name "\/([^"]+)" is already in use by container "([0-9a-f]+)"/.exec(text);
  return match?.[1] && match[2] ? { name: match[1], id: match[2] } : null;
}
