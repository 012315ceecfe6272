import { mapStacksThroughSourceMap } from './source-mapped-stacks.js';

// The first import of every Lambda entry (infra/aws/function-entries.ts), so that a stack thrown
// while the rest of the bundle loads is mapped too. In the bundle, this module's URL is the bundle's.
mapStacksThroughSourceMap(import.meta.url);
