/**
 * The response shapes headroom reads from Ollama, checked with zod so that a garbled answer is an
 * error naming the field instead of an undefined deep in the policy. Unknown fields pass through
 * (newer servers add them); only what headroom uses is required.
 */
import { z } from 'zod';

const details = z
  .object({
    family: z.string().nullish(),
    families: z.array(z.string()).nullish(),
    parameter_size: z.string().nullish(),
  })
  .nullish();

/** One model of GET /api/ps. */
export const psModelSchema = z.object({
  name: z.string().min(1),
  model: z.string().optional(),
  size: z.number().nonnegative(),
  size_vram: z.number().nonnegative().optional(),
  digest: z.string().optional(),
  details,
  expires_at: z.string().optional(),
  context_length: z.number().optional(),
});

/** GET /api/ps; a `null` list (seen from some servers) means none. */
export const psSchema = z.object({ models: z.array(psModelSchema).nullable() });

/** POST /api/show, the parts used to tell vision from text and to match runner processes. */
export const showSchema = z.object({
  modelfile: z.string().nullish(),
  capabilities: z.array(z.string()).nullish(),
  projector_info: z.record(z.string(), z.unknown()).nullish(),
  model_info: z.record(z.string(), z.unknown()).nullish(),
  details,
});

/** GET /api/tags. */
export const tagsSchema = z.object({
  models: z
    .array(
      z.object({
        name: z.string().min(1),
        size: z.number().nonnegative(),
        digest: z.string().optional(),
        capabilities: z.array(z.string()).nullish(),
      }),
    )
    .nullable(),
});

/** GET /api/version. */
export const versionSchema = z.object({ version: z.string() });

/** The final object of a non-streamed POST /api/generate. */
export const generateSchema = z.object({
  model: z.string().optional(),
  response: z.string().optional(),
  thinking: z.string().optional(),
  done: z.boolean(),
  done_reason: z.string().optional(),
  total_duration: z.number().optional(),
  load_duration: z.number().optional(),
  eval_count: z.number().optional(),
  eval_duration: z.number().optional(),
});

/** An error body: `{"error": "…"}`. */
export const errorSchema = z.object({ error: z.string() });
