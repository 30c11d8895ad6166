/**
 * Loads the WebAssembly build of libsolv + glue made by resolver/build.sh. The emscripten output
 * is CommonJS (its ES6 mode needs __dirname), hence createRequire.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ErrorCode, RippleError } from '../../src/errors.ts';

/** The glue's exports (glue/ripple-glue.c) and the emscripten runtime parts we use. */
export interface LibsolvModule {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _ripple_pool_create(deb: number, arch: number): number;
  _ripple_pool_free(pool: number): void;
  _ripple_add_repo(pool: number, name: number, strings: number, stringCount: number, records: number, packageCount: number): number;
  _ripple_solve(pool: number, strings: number, stringCount: number, jobs: number, jobCount: number, flags: number): number;
  _ripple_whatprovides(pool: number, strings: number, stringCount: number, deps: number, depCount: number): number;
}

const buildFile = fileURLToPath(new URL('../build/libsolv.cjs', import.meta.url));
let loading: Promise<LibsolvModule> | undefined;

/** One module instance per thread: every pool of a thread shares its linear memory. */
export function loadLibsolv(): Promise<LibsolvModule> {
  if (!loading) {
    if (!existsSync(buildFile)) {
      throw new RippleError(ErrorCode.MissingPrerequisite, `${buildFile} is missing: run 'sh resolver/build.sh' (npm test does)`, { file: buildFile });
    }
    const factory = createRequire(import.meta.url)(buildFile) as (init: { wasmBinary: Uint8Array }) => Promise<LibsolvModule>;
    // Handing over the bytes keeps emscripten from trying fetch() on a file path under Node 20.
    loading = factory({ wasmBinary: readFileSync(buildFile.replace(/\.cjs$/, '.wasm')) });
  }
  return loading;
}

/** Copies bytes into a fresh malloc'd block; the caller frees it. */
export function copyIn(mod: LibsolvModule, bytes: Uint8Array): number {
  const ptr = mod._malloc(Math.max(1, bytes.length));
  mod.HEAPU8.set(bytes, ptr);
  return ptr;
}

export function copyInInts(mod: LibsolvModule, ints: Int32Array): number {
  const ptr = mod._malloc(Math.max(4, ints.length * 4));
  mod.HEAP32.set(ints, ptr >> 2);
  return ptr;
}

export function copyInString(mod: LibsolvModule, value: string): number {
  return copyIn(mod, new TextEncoder().encode(value + '\0'));
}
