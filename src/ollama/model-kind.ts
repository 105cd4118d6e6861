/**
 * Decides whether a model is a vision model from its /api/show answer. Pure. The family alone is
 * not enough (gemma3:1b is text-only while gemma3:4b sees), so, in order: `capabilities` holds
 * "vision"; else `projector_info` is not empty (a separate projector, before 0.6.8 reported no
 * capability); else a `model_info` key ends in `.vision.block_count` (vision inside the GGUF);
 * else `details.families` holds "clip" or "mllama" (old servers without capabilities).
 */

/** The parts of /api/show the decision reads. */
export interface ShowForKind {
  capabilities?: string[] | null | undefined;
  projector_info?: Record<string, unknown> | null | undefined;
  model_info?: Record<string, unknown> | null | undefined;
  details?: { families?: string[] | null | undefined } | null | undefined;
}

/** True for a model that takes images. */
export function isVisionModel(show: ShowForKind): boolean {
  if (show.capabilities?.includes('vision')) return true;
  if (show.projector_info && Object.keys(show.projector_info).length > 0) return true;
  if (show.model_info && Object.keys(show.model_info).some((key) => key.endsWith('.vision.block_count'))) return true;
  return (show.details?.families ?? []).some((family) => family === 'clip' || family === 'mllama');
}
