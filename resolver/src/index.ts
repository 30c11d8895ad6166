/** libsolv compiled to WebAssembly, with Ripple's bulk-loading glue: see resolver/README.md. */
export * from './types.ts';
export { SolverPool } from './solver-pool.ts';
export type { BaseSpec, BuildrootMember, PackageRef, Problem, Resolution, ResolveOptions } from './solver-pool.ts';
export { encodeRepository, evrOf } from './encoding.ts';
export type { EncodedRepository } from './encoding.ts';
export { ResolverPool } from './resolver-pool.ts';
export type { ResolverPoolOptions } from './resolver-pool.ts';
