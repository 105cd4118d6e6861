/** headroom's version, read from package.json (one level above both src/ and dist/). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The package version, e.g. "0.1.0". */
export const HEADROOM_VERSION: string = (require('../package.json') as { version: string }).version;
