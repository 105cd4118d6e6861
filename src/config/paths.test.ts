import { describe, expect, it } from 'vitest';
import { parseConfigText } from './load.js';
import { effectiveConfig, runtimePaths } from './paths.js';

describe('runtimePaths', () => {
  it('reads the Linux process table under procRoot unless linux.processRoot is set', () => {
    const same = runtimePaths(parseConfigText('linux:\n  procRoot: ~/fake-proc\n', 'c.yaml'), 'linux', '/home/u', {});
    expect(same).toMatchObject({ procRoot: '/home/u/fake-proc', processRoot: '/home/u/fake-proc' });
    const apart = runtimePaths(parseConfigText('linux:\n  procRoot: ~/fake-proc\n  processRoot: /proc\n', 'c.yaml'), 'linux', '/home/u', {});
    expect(apart).toMatchObject({ procRoot: '/home/u/fake-proc', processRoot: '/proc' });
    expect(effectiveConfig(parseConfigText('', 'c.yaml'), apart).linux).toMatchObject({ procRoot: '/home/u/fake-proc', processRoot: '/proc' });
  });
});
