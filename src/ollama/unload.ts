/**
 * Unloading a model: `keep_alive: 0` is answered at once with done_reason "unload", but Ollama
 * only marks the runner and frees it when in-flight requests end, so the model can stay in
 * /api/ps a while. This polls /api/ps until the model is gone, within a bound. A client may load
 * the model again at once; /api/ps then lists it with a new expiry (later than a second after the
 * request, and not the one it had before): that also ends the wait, as "reloaded".
 */
import type { Clock } from '../ports/clock.js';
import type { OllamaApi } from '../ports/ollama.js';

/** An expiry this far past the unload request can only come from a new load. */
const RELOAD_MARGIN_MS = 1000;

/** How one unload ended. */
export interface UnloadOutcome {
  model: string;
  /** True once /api/ps no longer lists the model. */
  gone: boolean;
  /** True when it was gone and a client loaded it again before a poll saw the gap. */
  reloaded?: boolean;
  waitedMs: number;
  /** Why it failed, when it did (the request, or the polls). */
  error?: string;
}

/** Poll pacing and bound. */
export interface UnloadOptions {
  clock: Clock;
  timeoutMs: number;
  pollMs: number;
  signal?: AbortSignal;
  /** The model's expiry in /api/ps before the unload, to tell a reload from a slow unload. */
  expiresAtBefore?: number | null;
}

/** Sends the unload, then polls /api/ps until the model is gone or `timeoutMs` passes. Never throws. */
export async function unloadAndWait(api: OllamaApi, model: string, options: UnloadOptions): Promise<UnloadOutcome> {
  const { clock, timeoutMs, pollMs, signal } = options;
  const startedAt = clock.now();
  try {
    await api.unload(model);
  } catch (error) {
    return { model, gone: false, waitedMs: clock.now() - startedAt, error: (error as Error).message };
  }
  let lastError: string | undefined;
  for (;;) {
    try {
      const entry = (await api.listLoaded()).find((candidate) => candidate.name === model);
      if (!entry) return { model, gone: true, waitedMs: clock.now() - startedAt };
      const renewed = entry.expiresAt !== null && entry.expiresAt !== options.expiresAtBefore && entry.expiresAt > startedAt + RELOAD_MARGIN_MS;
      if (renewed) return { model, gone: true, reloaded: true, waitedMs: clock.now() - startedAt };
      lastError = undefined;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (clock.now() - startedAt >= timeoutMs || signal?.aborted) {
      const outcome: UnloadOutcome = { model, gone: false, waitedMs: clock.now() - startedAt };
      outcome.error = lastError ?? `still listed by /api/ps after ${clock.now() - startedAt} ms`;
      return outcome;
    }
    await clock.sleep(pollMs, signal);
  }
}
