/**
 * `limactl list --json NAME` (one object per line: name, status, dir, vmType, hostAgentPID,
 * driverPID, errors) and the warning limactl prints to stderr for an instance with errors
 * (`instance "default" has errors  errors="[…]"`). Pure.
 */
import { parseLogrus } from './logrus.js';

/** One Lima instance as limactl sees it. */
export interface LimaInstance {
  name: string;
  /** Running, Stopped, Broken, Installing, Uninitialized, or "". */
  status: string;
  dir: string | null;
  vmType: string | null;
  hostAgentPid: number | null;
  driverPid: number | null;
  errors: string[];
}

function positive(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
}

/** Parses the JSON lines on stdout, adding the errors of stderr's warnings; lines that are not instances are named in `problems`. */
export function parseLimactlList(stdout: string, stderr = ''): { instances: LimaInstance[]; problems: string[] } {
  const instances: LimaInstance[] = [];
  const problems: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`not JSON: ${line.slice(0, 120)}`);
      continue;
    }
    if (typeof data.name !== 'string') {
      problems.push(`no instance name: ${line.slice(0, 120)}`);
      continue;
    }
    instances.push({
      name: data.name,
      status: typeof data.status === 'string' ? data.status : '',
      dir: typeof data.dir === 'string' ? data.dir : null,
      vmType: typeof data.vmType === 'string' ? data.vmType : null,
      hostAgentPid: positive(data.hostAgentPID),
      driverPid: positive(data.driverPID),
      errors: Array.isArray(data.errors) ? data.errors.map(String) : [],
    });
  }
  for (const line of parseLogrus(stderr)) {
    const named = /^instance "([^"]+)" has errors$/.exec(line.msg);
    const instance = named ? instances.find((i) => i.name === named[1]) : undefined;
    const errors = line.fields.errors;
    if (instance && errors && instance.errors.length === 0) instance.errors.push(errors.replace(/^\[(.*)\]$/, '$1'));
  }
  return { instances, problems };
}
