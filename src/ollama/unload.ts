/**
 * Unloading a model: `keep_alive: 0` is answered at once with done_reason "unload", but Ollama
 * only marks the runner and frees it when in-flight requests end, so the model can stay in
 * /api/ps a while. This polls /api/ps until the model is gone, within a bound.
 */
import type { Clock } from '../ports/clock.js';
import type { OllamaApi } from '../ports/ollama.js';

/** How one unload ended. */
export interface UnloadOutcome {
  model: string;
  /** True once /api/ps no longer lists the model. */
  gone: boolean;
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
      const loaded = await api.listLoaded();
      if (!loaded.some((entry) => entry.name === model)) return { model, gone: true, waitedMs: clock.now() - startedAt };
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
