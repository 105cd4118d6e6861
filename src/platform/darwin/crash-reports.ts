/**
 * WindowServer's crash reports on macOS: `.ips` files in /Library/Logs/DiagnosticReports
 * (WindowServer runs as _windowserver, so its reports land there) and in
 * ~/Library/Logs/DiagnosticReports. A watchdog kill of WindowServer also leaves one (its
 * termination reason is WATCHDOG). Only the file names and the first line of each candidate are
 * read: an `.ips` file opens with a one-line JSON header that names the process and the time
 * (windowserver-crash-ips-head-m1-air.txt: `"app_name":"WindowServer"`, `"timestamp":"2024-02-08
 * 22:09:20.00 -0500"`). Which folders a user may read is not verified (../shared/docs/
 * macos-platform.md §3): a folder that cannot be read is reported, and counts as no report.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CrashReport, CrashReports } from '../../ports/windowserver.js';
import { parseJsonObject } from '../../core/json-object.js';

/** The first bytes of a report read for its header line. */
const HEADER_BYTES = 4096;

/** The header line of an `.ips` report: the process it is about, and when it was written; null for anything else. */
export function parseIpsHeader(line: string): { name: string; at: number | null } | null {
  const header = parseJsonObject(line) as { app_name?: unknown; name?: unknown; timestamp?: unknown } | null;
  if (header === null) return null;
  const name = typeof header.app_name === 'string' ? header.app_name : typeof header.name === 'string' ? header.name : null;
  if (name === null) return null;
  return { name, at: typeof header.timestamp === 'string' ? parseIpsTimestamp(header.timestamp) : null };
}

/** `2024-02-08 22:09:20.00 -0500` in ms since the epoch; null when it is not one. */
export function parseIpsTimestamp(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)? ([+-])(\d{2})(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetHours, offsetMinutes] = match;
  const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Math.floor(Number(`0${fraction}`) * 1000));
  const offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  return utc - (sign === '-' ? -offsetMs : offsetMs);
}

/** The first line of a file, from its first {@link HEADER_BYTES} bytes. */
async function firstLine(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
  } finally {
    await handle.close();
  }
}

/** CrashReports from DiagnosticReports folders. */
export class DiagnosticReportsFolders implements CrashReports {
  constructor(private readonly dirs: readonly string[]) {}

  async windowServerSince(since: number): Promise<{ reports: CrashReport[]; errors: string[] }> {
    const reports: CrashReport[] = [];
    const errors: string[] = [];
    for (const dir of this.dirs) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // No folder: nothing ever crashed for this user; not an error.
        if (code !== 'ENOENT') errors.push(`${dir}: ${code ?? (error as Error).message}`);
        continue;
      }
      for (const name of names.filter((n) => n.startsWith('WindowServer') && n.endsWith('.ips'))) {
        const file = path.join(dir, name);
        try {
          const { mtimeMs } = await stat(file);
          // A report is written once, at the crash: one older than `since` cannot be newer inside.
          if (mtimeMs < since) continue;
          const header = parseIpsHeader(await firstLine(file));
          if (header !== null && header.name !== 'WindowServer') continue;
          const at = header?.at ?? mtimeMs;
          if (at >= since) reports.push({ file, at });
        } catch (error) {
          errors.push(`${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
      }
    }
    return { reports: reports.sort((a, b) => a.at - b.at), errors };
  }
}
