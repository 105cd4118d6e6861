/**
 * What a probe may do to memory, and how it asks: the pressure and floor check before a run, and
 * the keep_alive and num_ctx of its requests. Pure.
 */
import type { MemorySnapshot } from '../core/memory.js';
import { formatBytes } from '../core/units.js';
import type { LoadedModel } from '../ports/ollama.js';

/**
 * Why a probe must not run now ("pressure: …"), or null. It must not when the pressure is not
 * normal (unknown included: a probe must never be what locks the machine), or when loading
 * `loadBytes` would leave less than the guard's floor available. `loadBytes` is 0 for a model
 * already loaded.
 */
export function pressureProblem(memory: MemorySnapshot, loadBytes: number, floorBytes: number): string | null {
  if (memory.pressure !== 'normal') {
    return `pressure: ${memory.pressure}${memory.pressureReason ? ` (${memory.pressureReason})` : ''}`;
  }
  if (loadBytes <= 0) return null;
  if (memory.availableBytes === null) return `pressure: available memory unknown, and loading needs ${formatBytes(loadBytes)}`;
  const leftBytes = memory.availableBytes - loadBytes;
  if (leftBytes < floorBytes) {
    return `pressure: loading ${formatBytes(loadBytes)} would leave ${formatBytes(Math.max(0, leftBytes))} of ${formatBytes(memory.availableBytes)} available, under the guard's floor of ${formatBytes(floorBytes)}`;
  }
  return null;
}

/** A keep_alive expiry past this is Ollama's "forever" (negative keep_alive shows year 2318 in /api/ps). */
const FOREVER_AFTER_MS = 100 * 365 * 24 * 3600 * 1000;

/** The keep_alive and num_ctx of a probe's requests. */
export interface RequestSettings {
  keepAlive: string | number;
  numCtx: number | undefined;
}

/**
 * For a model already loaded, the request changes nothing about it: keep_alive is the time it had
 * left (or forever), because every request resets the expiry, and num_ctx is the context it was
 * loaded with, because another one makes Ollama reload it. A model the probe loads gets the
 * configured keep_alive and the small probe context, so that its KV cache stays small.
 */
export function requestSettings(loaded: LoadedModel | null, now: number, configured: { keepAlive: string | number; contextLength: number }): RequestSettings {
  if (!loaded) return { keepAlive: configured.keepAlive, numCtx: configured.contextLength };
  const numCtx = loaded.contextLength ?? undefined;
  if (loaded.expiresAt === null || loaded.expiresAt <= now) return { keepAlive: configured.keepAlive, numCtx };
  if (loaded.expiresAt - now > FOREVER_AFTER_MS) return { keepAlive: -1, numCtx };
  return { keepAlive: Math.ceil((loaded.expiresAt - now) / 1000), numCtx };
}
