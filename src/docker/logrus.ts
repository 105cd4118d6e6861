/**
 * Lines as colima and limactl print them (logrus): the terminal form `FATA[0000] message   key=value`,
 * the plain form `time="…" level=fatal msg="…"`, and the `> ` lines colima relays from limactl.
 * Pure.
 */

/** logrus levels, by the four letters of the terminal form. */
const LEVELS: Readonly<Record<string, string>> = { TRAC: 'trace', DEBU: 'debug', INFO: 'info', WARN: 'warning', ERRO: 'error', FATA: 'fatal', PANI: 'panic' };

/** One line: its level (null when the line has none), message and fields. */
export interface LogLine {
  level: string | null;
  msg: string;
  fields: Record<string, string>;
}

/** `key=value` and `key="quoted \"value\""` pairs, in order. */
function pairs(text: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const match of text.matchAll(/([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const raw = match[2] ?? '';
    found.push([match[1] ?? '', raw.startsWith('"') ? unquote(raw) : raw]);
  }
  return found;
}

function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1).replace(/\\"/g, '"');
  }
}

/** Parses one line; blank lines give null. */
export function parseLogrusLine(line: string): LogLine | null {
  const text = line.trimEnd();
  if (text.trim() === '') return null;
  if (text.startsWith('> ')) return { level: null, msg: text.slice(2), fields: {} };
  const tty = /^([A-Z]{4})\[\d+\] ?(.*)$/.exec(text);
  if (tty?.[1] && LEVELS[tty[1]]) {
    const rest = tty[2] ?? '';
    // logrus pads the message to 44 columns, then writes ` key=value` for each field.
    const split = /^(.*?)\s{2,}((?:[A-Za-z_][\w.]*=(?:"(?:[^"\\]|\\.)*"|\S*)\s*)+)$/.exec(rest);
    const msg = split ? (split[1] ?? '') : rest;
    return { level: LEVELS[tty[1]] ?? null, msg: msg.trim(), fields: split ? Object.fromEntries(pairs(split[2] ?? '')) : {} };
  }
  if (/^time="[^"]*" level=\w+ /.test(text)) {
    const fields = Object.fromEntries(pairs(text));
    const { level = null, msg = '', ...rest } = fields;
    delete rest.time;
    return { level, msg, fields: rest };
  }
  return { level: null, msg: text.trim(), fields: {} };
}

/** Parses every line of a stream. */
export function parseLogrus(text: string): LogLine[] {
  return text.split('\n').flatMap((line) => parseLogrusLine(line) ?? []);
}

/** The message of the last fatal or error line, else the last line's, else null. */
export function lastError(text: string): string | null {
  const lines = parseLogrus(text);
  const bad = lines.filter((line) => line.level === 'fatal' || line.level === 'error' || line.level === 'panic');
  return (bad.at(-1) ?? lines.at(-1))?.msg ?? null;
}
