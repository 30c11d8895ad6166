// Worker entry: Node 20 does not apply `--import tsx` hooks to a worker's main module, so
// register tsx here first, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./resolver-worker.ts');
