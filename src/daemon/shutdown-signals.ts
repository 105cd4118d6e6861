/**
 * What the daemon does on SIGTERM and SIGINT. The first signal records a clean stop, asks the
 * loop to stop after the tick under way, cancels that tick's commands after `cancelAfterMs`, and
 * exits 0 at `deadlineMs` whatever is still running; a second signal exits 130 at once.
 * Process, timers and exit are passed in, so that tests run it on fake timers.
 */

/** What the handler acts on; the daemon passes `process`, setTimeout and its logger. */
export interface ShutdownSignalDeps {
  /** Where the signals come from (process). */
  signals: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** Aborted at the first signal: the loop stops after the tick under way. */
  stop: AbortController;
  /** Aborted `cancelAfterMs` later: the tick's commands are canceled. */
  cancel: AbortController;
  cancelAfterMs: number;
  /** From the first signal to the forced exit. */
  deadlineMs: number;
  /** Records the clean stop (the run record's marker); a failure is logged, not thrown. */
  markCleanStop(): void;
  log: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
    error(fields: object, message: string): void;
  };
  /** Flushes the log before a forced exit. */
  flush(): void;
  exit(code: number): void;
  /** setTimeout, whose timers must not keep the process alive (unref). */
  setTimer(run: () => void, ms: number): void;
}

/** Installs the handler on SIGTERM and SIGINT; the function it returns removes it. */
export function installShutdownSignals(deps: ShutdownSignalDeps): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (deps.stop.signal.aborted) {
      deps.log.warn({ signal }, 'second signal: exiting now');
      deps.flush();
      deps.exit(130);
      return;
    }
    deps.log.info({ signal }, 'stopping');
    try {
      deps.markCleanStop();
    } catch (error) {
      deps.log.error({ err: error }, 'could not write the clean-stop marker');
    }
    deps.stop.abort();
    deps.setTimer(() => deps.cancel.abort(), deps.cancelAfterMs);
    deps.setTimer(() => {
      deps.log.warn({ deadlineMs: deps.deadlineMs }, 'shutdown deadline reached: exiting without waiting further');
      deps.flush();
      deps.exit(0);
    }, deps.deadlineMs);
  };
  deps.signals.on('SIGTERM', onSignal);
  deps.signals.on('SIGINT', onSignal);
  return () => {
    deps.signals.off('SIGTERM', onSignal);
    deps.signals.off('SIGINT', onSignal);
  };
}
