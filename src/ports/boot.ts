/** Which boot of the machine this is: how headroom tells a reboot from a restart of its own. */

/** The current boot, as the platform reports it. */
export interface BootIdentity {
  /** A value unique to this boot (darwin kern.bootsessionuuid, linux boot_id); null when unreadable. */
  id: string | null;
  /** When the machine booted (ms since the epoch); null when unreadable. */
  bootedAt: number | null;
  /** What could not be read; absent when both were read. */
  errors?: string[];
}

/** Reads the boot identity; never throws (failures go in `errors`). */
export interface BootSensor {
  read(signal?: AbortSignal): Promise<BootIdentity>;
}
