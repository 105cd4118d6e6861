/** Checks a probe schedule: node-cron's own parser, plus at most one run a minute. Pure. */
import { validateDetailed } from 'node-cron';

/** Why `expression` is no usable probe schedule, or null. */
export function cronExpressionProblem(expression: string): string | null {
  const result = validateDetailed(expression);
  if (!result.valid) {
    const error = result.errors[0];
    return `not a cron expression: ${error ? `${error.field}: ${error.message}` : 'invalid'} (5 fields: minute hour day-of-month month day-of-week, e.g. "*/30 * * * *")`;
  }
  if ((result.fields?.second.length ?? 1) > 1) return 'runs more than once a minute: a probe may load a model, so a seconds field must name one second';
  return null;
}
