/** Desktop notifications. */

/** How a notification went. */
export interface NotifyResult {
  delivered: boolean;
  /** What carried it: "osascript", "notify-send", or "log only". */
  via: string;
  error?: string;
}

/** Shows a notification to the user; never throws. */
export interface Notifier {
  notify(title: string, message: string): Promise<NotifyResult>;
}
