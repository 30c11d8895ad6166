#!/usr/bin/env node
// The one `ripple` binary: runs src/main.ts through tsx so no separate compile step exists.
import { register } from 'tsx/esm/api';
register();
await import('../src/main.ts');
