/** Reading JSON whose shape is checked field by field afterwards. */

/** The JSON object in `text`, or null when it is not JSON or not an object (an array counts as an object). */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : null;
}
