/**
 * Compact encodings handed to the C glue (glue/ripple-glue.c describes the layout): a string
 * table plus an int32 stream. A whole repository becomes two typed arrays, so the main thread
 * encodes it once and every worker loads it with one call, without cloning package objects.
 */
import { invalidInput } from '../../src/errors.ts';
import type { BinaryPackage, Dependency, Relation } from './types.ts';

/** libsolv's relation flags and combination operators (pool.h). */
const relationFlags: Record<Relation, number> = { '>': 1, '=': 2, '>=': 3, '<': 4, '<=': 6 };
const REL_ELSE = 26;
const combinators = { and: 16, or: 17, with: 18, if: 22, without: 28, unless: 29 } as const;

export const JobKind = { Require: 1, Conflict: 2, Name: 3, Base: 4 } as const;

export interface EncodedRepository {
  /** NUL-terminated UTF-8 strings back to back. */
  strings: Uint8Array;
  stringCount: number;
  records: Int32Array;
  packageCount: number;
  /** Names of `Essential: yes` packages, for bases that include them. */
  essential: string[];
}

/** Accumulates a string table and an int stream; reusable after `reset()`. */
export class Encoder {
  /** `arch` is the pool's architecture, which decides what `name:<arch>` relations can match. */
  constructor(private readonly arch: string) {}

  private readonly ids = new Map<string, number>();
  private strings: string[] = [];
  private ints = new Int32Array(1024);
  private length = 0;

  reset(): void {
    this.ids.clear();
    this.strings = [];
    this.length = 0;
  }

  string(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.strings.length;
      this.ids.set(value, id);
      this.strings.push(value);
    }
    return id;
  }

  int(value: number): void {
    if (this.length === this.ints.length) {
      const grown = new Int32Array(this.ints.length * 2);
      grown.set(this.ints);
      this.ints = grown;
    }
    this.ints[this.length++] = value;
  }

  dependency(dep: Dependency, where: string): void {
    if (!('op' in dep)) {
      // Pools hold one architecture (plus all/noarch), so `:any`/`:native` and the pool's own
      // architecture reduce to the plain name; another architecture gets a name nothing provides.
      const foreign = dep.architecture !== undefined && dep.architecture !== this.arch;
      this.int(0);
      this.int(this.string(foreign ? `${dep.name}:${dep.architecture}` : dep.name));
      if (dep.relation === undefined) {
        this.int(0);
        this.int(0);
        return;
      }
      if (dep.evr === undefined) throw invalidInput(where, `${where}: '${dep.name} ${dep.relation}' has no version`);
      this.int(relationFlags[dep.relation]);
      this.int(this.string(dep.evr));
      return;
    }
    const op = combinators[dep.op];
    if (dep.op === 'if' || dep.op === 'unless') {
      // args are in textual order: (consequence if condition [else otherwise]).
      if (dep.args.length !== 2) throw invalidInput(where, `${where}: '${dep.op}' needs exactly 2 operands, got ${dep.args.length}`);
      this.int(op);
      this.dependency(dep.args[0], where);
      if (dep.otherwise) {
        this.int(REL_ELSE);
        this.dependency(dep.args[1], where);
        this.dependency(dep.otherwise, where);
      } else {
        this.dependency(dep.args[1], where);
      }
      return;
    }
    if (dep.args.length === 0) throw invalidInput(where, `${where}: '${dep.op}' has no operands`);
    // n-ary and/or/with/without nest to the right, as libsolv's own rich-dep parser does.
    for (let i = 0; i < dep.args.length - 1; i++) {
      this.int(op);
      this.dependency(dep.args[i], where);
    }
    this.dependency(dep.args[dep.args.length - 1], where);
  }

  dependencies(deps: Dependency[], where: string): void {
    this.int(deps.length);
    for (const dep of deps) this.dependency(dep, where);
  }

  /** The string table as NUL-terminated UTF-8. */
  stringBytes(): Uint8Array {
    return new TextEncoder().encode(this.strings.length ? this.strings.join('\0') + '\0' : '');
  }

  get stringCount(): number {
    return this.strings.length;
  }

  intView(): Int32Array {
    return this.ints.subarray(0, this.length);
  }
}

export function evrOf(pkg: { epoch: number; version: string; release: string }): string {
  const epoch = pkg.epoch ? `${pkg.epoch}:` : '';
  return pkg.release ? `${epoch}${pkg.version}-${pkg.release}` : `${epoch}${pkg.version}`;
}

/** Encodes packages for a pool of architecture `arch`. `name` only labels error messages. */
export function encodeRepository(name: string, packages: BinaryPackage[], arch: string): EncodedRepository {
  const enc = new Encoder(arch);
  const essential = new Set<string>();
  packages.forEach((pkg, i) => {
    const where = `repository ${name}, package ${i} (${pkg.name})`;
    enc.int(enc.string(pkg.name));
    enc.int(enc.string(evrOf(pkg)));
    enc.int(enc.string(pkg.arch));
    enc.dependencies(pkg.provides, `${where} provides`);
    enc.int(pkg.files.length);
    for (const file of pkg.files) enc.int(enc.string(file));
    enc.dependencies(pkg.requires, `${where} requires`);
    enc.dependencies(pkg.conflicts, `${where} conflicts`);
    enc.dependencies(pkg.obsoletes, `${where} obsoletes`);
    enc.dependencies(pkg.recommends, `${where} recommends`);
    enc.dependencies(pkg.suggests, `${where} suggests`);
    enc.dependencies(pkg.supplements, `${where} supplements`);
    enc.dependencies(pkg.enhances, `${where} enhances`);
    if (pkg.essential) essential.add(pkg.name);
  });
  return {
    strings: enc.stringBytes(),
    stringCount: enc.stringCount,
    records: enc.intView().slice(),
    packageCount: packages.length,
    essential: [...essential],
  };
}
