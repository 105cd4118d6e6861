/** A calendar schedule (node-cron behind it): it fires a callback at each matching time. */
export interface Schedule {
  /** The expression, for logs and the status. */
  readonly expression: string;
  /** Starts firing `fire`; a run it returns that is still under way blocks the next one. */
  start(fire: () => Promise<void>): void;
  /** Stops firing. */
  stop(): void;
  /** When it fires next (epoch ms); null while stopped. */
  nextRunAt(): number | null;
}
