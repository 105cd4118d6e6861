import { describe, expect, it } from 'vitest';
import { cronExpressionProblem } from './cron-expression.js';

describe('cronExpressionProblem', () => {
  it.each(['*/30 * * * *', '0 */2 * * MON-FRI', '@hourly', '15 0 9 * * *'])('accepts %s', (expression) => {
    expect(cronExpressionProblem(expression)).toBeNull();
  });

  it('names the field node-cron rejects', () => {
    expect(cronExpressionProblem('61 * * * *')).toMatch(/^not a cron expression: minute: 61 is a invalid expression for minute/);
  });

  it('says how many fields it wants', () => {
    expect(cronExpressionProblem('*/30 * * *')).toContain('expected 5 or 6 fields but got 4');
  });

  it('refuses a schedule that fires more than once a minute', () => {
    expect(cronExpressionProblem('*/10 * * * * *')).toMatch(/more than once a minute/);
  });
});
