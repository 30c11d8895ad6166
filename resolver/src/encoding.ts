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

  /** Starts a new int stream over the same string table. */
  clearInts(): void {
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

  /** The string table from string `from` on, as NUL-terminated UTF-8. */
  stringBytes(from = 0): Uint8Array {
    const strings = from ? this.strings.slice(from) : this.strings;
    return new TextEncoder().encode(strings.length ? strings.join('\0') + '\0' : '');
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
  return new RepositoryEncoder(arch).encode(name, packages);
}

/**
 * Encodes the repositories of one architecture's pools and remembers each package's record by
 * the package object. A regeneration stacks a small changed overlay over a large unchanged layer
 * whose packages are the same objects as before (layer-store.ts), so only the changed packages
 * are encoded again: 350-680 ms for bookworm's 63k binaries otherwise. The string table only
 * grows, which keeps remembered records valid; strings no package of a repository uses cost its
 * pool an unused id each, and past `maxStrings` the table starts over.
 */
export class RepositoryEncoder {
  /** Bookworm's 63k binaries hold 138k distinct strings; a regeneration adds a few hundred. */
  static readonly maxStrings = 1_000_000;
  #encoder: Encoder;
  #records = new WeakMap<BinaryPackage, Int32Array>();
  /** The first `#bytesOf` strings of the table as NUL-terminated UTF-8. */
  #bytes = new Uint8Array(0);
  #bytesOf = 0;

  constructor(private readonly arch: string) {
    this.#encoder = new Encoder(arch);
  }

  /** `shared`: in SharedArrayBuffers, for worker threads to read without a copy each. */
  encode(name: string, packages: BinaryPackage[], { shared = false } = {}): EncodedRepository {
    if (this.#encoder.stringCount > RepositoryEncoder.maxStrings) {
      this.#encoder = new Encoder(this.arch);
      this.#records = new WeakMap();
      this.#bytes = new Uint8Array(0);
      this.#bytesOf = 0;
    }
    const records = packages.map((pkg, i) => this.#recordOf(pkg, () => `repository ${name}, package ${i} (${pkg.name})`));
    const ints = new Int32Array(allocate(records.reduce((n, r) => n + r.length, 0) * 4, shared));
    let at = 0;
    for (const record of records) {
      ints.set(record, at);
      at += record.length;
    }
    const table = this.#stringBytes();
    const strings = new Uint8Array(allocate(table.length, shared));
    strings.set(table);
    return {
      strings,
      stringCount: this.#bytesOf,
      records: ints,
      packageCount: packages.length,
      essential: [...new Set(packages.filter((p) => p.essential).map((p) => p.name))],
    };
  }

  /** `describe` names the package in errors; it is called only for a package not yet encoded. */
  #recordOf(pkg: BinaryPackage, describe: () => string): Int32Array {
    let record = this.#records.get(pkg);
    if (record) return record;
    const where = describe();
    const enc = this.#encoder;
    enc.clearInts();
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
    record = enc.intView().slice();
    this.#records.set(pkg, record);
    return record;
  }

  /** The whole table, encoding only the strings added since the last call. */
  #stringBytes(): Uint8Array {
    const count = this.#encoder.stringCount;
    if (count > this.#bytesOf) {
      const added = this.#encoder.stringBytes(this.#bytesOf);
      const bytes = new Uint8Array(this.#bytes.length + added.length);
      bytes.set(this.#bytes);
      bytes.set(added, this.#bytes.length);
      this.#bytes = bytes;
      this.#bytesOf = count;
    }
    return this.#bytes;
  }
}

const allocate = (bytes: number, shared: boolean) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
