/**
 * Group commit for POST /results: results posted while a transaction is committing wait for it
 * and then go together into the next one (multi-row inserts, one decision-update pass, one event
 * append), so the cost per result falls as load rises and a lone result waits for nothing. Each
 * request still gets its own answer: permissions are checked per result against one read of the
 * grants, and when a batch fails every result in it is retried alone, so a bad one fails only itself.
 */
import type { Db, Trx } from '../db/database.ts';
import { withTransaction } from '../db/database.ts';
import { loadPermissionCheck } from '../gating/permissions.ts';
import { loadPolicyDirectory } from '../gating/policies.ts';
import type { AuthContext } from '../users/service.ts';
import type { ResultRow } from './queries.ts';
import { storeResults, type NewResult, type TestcaseIdCache } from './service.ts';

interface Pending {
  input: NewResult;
  auth: AuthContext;
  resolve: (row: ResultRow) => void;
  reject: (error: unknown) => void;
}

/** Bounds one transaction (and its decision-update pass) under a burst. */
const maxBatch = 500;
/**
 * Transactions in flight at once: a batch spends most of its time waiting for round trips, so a
 * few overlap (they serialise only on the event log's append lock, held from append to commit).
 */
const maxInFlight = 3;

export class ResultBatcher {
  readonly #db: Db;
  readonly #policiesDir: string;
  #queue: Pending[] = [];
  #inFlight = 0;
  #scheduled = false;
  readonly #testcases: TestcaseIdCache = new Map();

  constructor(db: Db, policiesDir: string) {
    this.#db = db;
    this.#policiesDir = policiesDir;
  }

  /** Stores one result (with its events) and resolves with it once committed. */
  submit(input: NewResult, auth: AuthContext): Promise<ResultRow> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, auth, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    // Let requests parsed in the same turn of the event loop join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#inFlight < maxInFlight && this.#queue.length) {
        this.#inFlight++;
        void this.#commit(this.#queue.splice(0, maxBatch)).finally(() => {
          this.#inFlight--;
          this.#schedule();
        });
      }
    });
  }

  async #commit(batch: Pending[]): Promise<void> {
    try {
      const outcomes = await withTransaction(this.#db, (trx) => this.#store(trx, batch));
      batch.forEach((p, i) => (outcomes[i] instanceof Error ? p.reject(outcomes[i]) : p.resolve(outcomes[i] as ResultRow)));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const pending of batch) await this.#commit([pending]);
    }
  }

  /** Per pending result: its stored row, or the permission error refusing it. */
  async #store(trx: Trx, batch: Pending[]): Promise<(ResultRow | Error)[]> {
    const check = await loadPermissionCheck(trx, 'result');
    const outcomes: (ResultRow | Error | undefined)[] = batch.map((p) => check(p.auth, [p.input.testcase.name]) ?? undefined);
    const allowed = batch.flatMap((p, i) => (outcomes[i] ? [] : [i]));
    const rows = await storeResults(trx, allowed.map((i) => batch[i]!.input), loadPolicyDirectory(this.#policiesDir), this.#testcases);
    allowed.forEach((index, i) => (outcomes[index] = rows[i]!));
    return outcomes as (ResultRow | Error)[];
  }
}

const batchers = new WeakMap<Db, Map<string, ResultBatcher>>();

/** The batcher of a database and policies directory (one per process, shared by every request). */
export function resultBatcher(db: Db, policiesDir: string): ResultBatcher {
  let byDir = batchers.get(db);
  if (!byDir) batchers.set(db, (byDir = new Map()));
  let batcher = byDir.get(policiesDir);
  if (!batcher) byDir.set(policiesDir, (batcher = new ResultBatcher(db, policiesDir)));
  return batcher;
}
