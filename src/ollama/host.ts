/**
 * Where Ollama listens, read the way Ollama reads OLLAMA_HOST (envconfig.Host): an optional
 * scheme, a host, an optional port; no port means 11434, except after an explicit `http://` (80)
 * or `https://` (443). Pure.
 */

/** Ollama's default port. */
export const OLLAMA_DEFAULT_PORT = 11434;
/** Where headroom looks when neither config nor OLLAMA_HOST says otherwise. */
export const OLLAMA_DEFAULT_URL = 'http://127.0.0.1:11434';

/** Thrown for an OLLAMA_HOST or `ollama.url` that names no usable address. */
export class OllamaHostError extends Error {
  override name = 'OllamaHostError';
}

/** A parsed listen address. */
export interface OllamaAddress {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** False when the port came from a default (11434, or 80/443 after a scheme). */
  portGiven: boolean;
}

/** Parses an OLLAMA_HOST value such as `127.0.0.1:11434`, `0.0.0.0`, `http://box:8080`, `[::1]:11434`. */
export function parseOllamaHost(value: string): OllamaAddress {
  const text = value.trim().replace(/^["']|["']$/g, '');
  const schemeMatch = /^([a-z]+):\/\//i.exec(text);
  const scheme = schemeMatch?.[1]?.toLowerCase() ?? 'http';
  if (scheme !== 'http' && scheme !== 'https') throw new OllamaHostError(`"${value}": scheme must be http or https`);
  const defaultPort = !schemeMatch ? OLLAMA_DEFAULT_PORT : scheme === 'https' ? 443 : 80;
  const hostPort = (schemeMatch ? text.slice(schemeMatch[0].length) : text).split('/')[0] ?? '';
  let host = hostPort;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(hostPort);
  if (bracketed?.[1]) {
    host = bracketed[1];
    portText = bracketed[2];
  } else if ((hostPort.match(/:/g) ?? []).length === 1) {
    [host = '', portText] = hostPort.split(':');
  }
  if (host === '') host = '127.0.0.1';
  let port = defaultPort;
  if (portText !== undefined && portText !== '') {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OllamaHostError(`"${value}": port ${portText} is out of range`);
  }
  return { scheme, host, port, portGiven: portText !== undefined && portText !== '' };
}

/** The URL a client connects to for an address: a wildcard listener is reached on loopback. */
export function clientUrl(address: OllamaAddress): string {
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  const shown = host.includes(':') ? `[${host}]` : host;
  return `${address.scheme}://${shown}:${address.port}`;
}

/**
 * headroom's Ollama URL: `ollama.url` from config, else the listen address configured for the
 * server it runs (`ollama.env.OLLAMA_HOST`), else OLLAMA_HOST, else http://127.0.0.1:11434.
 */
export function resolveOllamaUrl(configUrl: string | null, env: NodeJS.ProcessEnv, listenHost: string | null = null): string {
  if (configUrl) return clientUrl(parseOllamaHost(configUrl));
  if (listenHost) return clientUrl(parseOllamaHost(listenHost));
  if (env.OLLAMA_HOST?.trim()) return clientUrl(parseOllamaHost(env.OLLAMA_HOST));
  return OLLAMA_DEFAULT_URL;
}

/** True for an address of this machine (loopback, a wildcard, localhost): a server headroom can run. */
export function isLocalAddress(address: OllamaAddress): boolean {
  return ['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::'].includes(address.host.toLowerCase()) || address.host.startsWith('127.');
}

/**
 * The OLLAMA_HOST headroom gives the server it runs: `ollama.env.OLLAMA_HOST` when set (checked
 * to share the port of `url`), else the host and port of the URL headroom talks to.
 */
export function serverListenHost(url: string, listenHost: string | null): string {
  if (listenHost) return listenHost;
  const address = parseOllamaHost(url);
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}
