/*
 * Ripple's glue over libsolv. Two ideas keep the JS<->wasm traffic small at distribution scale:
 * a whole repository arrives in one call as a string table plus an int32 record stream, and one
 * resolution is one call that returns either the installed set (with BFS distances) or every
 * problem with all its rule sentences. Per resolution, the expensive part of a fresh libsolv solver
 * (generating and sorting package rules for the job's whole closure) is avoided by keeping one
 * solver across resolutions; see `keep` below.
 *
 * Encodings (the TypeScript side in src/encoding.ts writes them):
 *   string table  NUL-terminated UTF-8 strings back to back; other fields refer to them by index.
 *   dependency    [0, name, flags, evr]      plain dependency; flags = REL_GT|REL_EQ|REL_LT bits,
 *                                            0 for none (evr is then ignored)
 *                 [REL_x, left..., right...] a binary combination (REL_AND, REL_OR, REL_COND, ...)
 *   dep list      [count, dependency...]
 *   package       [name, evr, arch, provides, files, requires, conflicts, obsoletes,
 *                  recommends, suggests, supplements, enhances]   (files: [count, string...])
 *   job           [JOB_REQUIRE, dependency] | [JOB_CONFLICT, dependency]
 *                 | [JOB_NAME, string] | [JOB_BASE, solvable id]
 */
#include <stdlib.h>
#include <string.h>
#include <emscripten.h>

#include "pool.h"
#include "poolarch.h"
#include "repo.h"
#include "solver.h"
#include "problems.h"
#include "rules.h"
#include "util.h"

enum { JOB_REQUIRE = 1, JOB_CONFLICT = 2, JOB_NAME = 3, JOB_BASE = 4 };
enum { FLAG_WEAK = 1 };

/* Member states in the per-solve scratch array; distances are positive. */
enum { NOT_MEMBER = 0, UNREACHED = -1, BASE_MEMBER = -2 };

EMSCRIPTEN_KEEPALIVE Pool *ripple_pool_create(int deb, const char *arch)
{
  Pool *pool = pool_create();
  /* The disttype decides the noarch class ("all" for Debian), so it must precede the arch. */
  pool_setdisttype(pool, deb ? DISTTYPE_DEB : DISTTYPE_RPM);
  pool_setarch(pool, arch);
  return pool;
}

/*
 * One solver is kept across solves. A re-run of libsolv's solver_solve keeps the package rules of
 * earlier runs and only adds rules for packages no earlier run reached, so most of the per-solve
 * cost of a fresh solver (rule generation, sorting and unifying the rules) is paid once per pool.
 * The kept rules are valid while the pool, the base (whose requires are hidden) and the flags stay
 * the same. Rules of packages outside a job's closure are inert: such a package is never chosen
 * (choices come from the providers of installed packages' requires, which are in the closure), so
 * it stays false and every rule it heads is satisfied. Two things do depend on the set of packages
 * with rules and are kept exact: infarch rules (see has_mixed_arch_names) and the order in which
 * the proof of an unsolvable job is walked, so problems are reported from a fresh solver.
 */
static struct
{
  Pool *pool;
  int mixed;   /* has_mixed_arch_names(pool), -1 before it is computed */
  int flags;
  Queue base;  /* base solvables of the kept solver's jobs */
  Solver *solver;
} keep = { 0, -1, 0, { 0 }, 0 };

/*
 * Whether two installable packages of one name have different architecture classes (rpm multilib:
 * x86_64 and i686). Only then can libsolv make infarch rules, and those depend on the set of
 * packages with rules, which a kept solver enlarges; such pools get a fresh solver per solve.
 */
static int has_mixed_arch_names(Pool *pool)
{
  unsigned int *classof = solv_calloc(pool->ss.nstrings, sizeof(unsigned int));
  int i, mixed = 0;
  for (i = 2; i < pool->nsolvables && !mixed; i++)
    {
      Solvable *s = pool->solvables + i;
      unsigned int score;
      if (!s->repo || !s->arch || ISRELDEP(s->name))
        continue;
      score = pool_arch2score(pool, s->arch);
      if (score <= 1)
        continue; /* not installable here, or noarch, which is never inferior */
      score = (score & 0xffff0000) | 1;
      if (!classof[s->name])
        classof[s->name] = score;
      else if (classof[s->name] != score)
        mixed = 1;
    }
  solv_free(classof);
  return mixed;
}

static void forget_pool(Pool *pool)
{
  if (keep.pool != pool)
    return;
  if (keep.solver)
    solver_free(keep.solver);
  keep.solver = 0;
  keep.pool = 0;
  keep.mixed = -1;
  queue_empty(&keep.base);
}

static Solver *new_solver(Pool *pool, int flags)
{
  Solver *solv = solver_create(pool);
  solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, !(flags & FLAG_WEAK));
  return solv;
}

/* The kept solver for these flags and base (the ids in `hidden`'s even slots), or 0 when the pool needs fresh ones. */
static Solver *kept_solver(Pool *pool, int flags, const Queue *hidden)
{
  int i, same;
  if (keep.pool != pool)
    {
      forget_pool(keep.pool);
      keep.pool = pool;
      keep.mixed = has_mixed_arch_names(pool);
    }
  if (keep.mixed)
    return 0;
  same = keep.solver && keep.flags == flags && keep.base.count == hidden->count / 2;
  for (i = 0; same && i < keep.base.count; i++)
    same = keep.base.elements[i] == hidden->elements[2 * i];
  if (same)
    return keep.solver;
  if (keep.solver)
    solver_free(keep.solver);
  keep.solver = new_solver(pool, flags);
  /* No infarch rules can arise (see above); this skips a pass over every package with rules. */
  solver_set_flag(keep.solver, SOLVER_FLAG_NO_INFARCHCHECK, 1);
  keep.flags = flags;
  queue_empty(&keep.base);
  for (i = 0; i < hidden->count; i += 2)
    queue_push(&keep.base, hidden->elements[i]);
  return keep.solver;
}

/*
 * rules.c calls this instead of solv_sort (build.sh renames it there). Its only sort of Rule-sized
 * elements is solver_unifyrules over all package rules; with a kept solver the rules of earlier
 * runs are already sorted and only the few new ones at the end are not, so this sorts that tail
 * and merges it in: linear instead of sorting everything again. The order is the comparator's, as
 * with a full sort (equal elements are duplicate rules, which unifyrules then drops).
 */
void ripple_sort_rules(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *), void *data)
{
  char *a = base, *tail;
  size_t sorted = 1, i, j, k;
  if (size != sizeof(Rule) || n < 2)
    {
      solv_sort(base, n, size, cmp, data);
      return;
    }
  while (sorted < n && cmp(a + (sorted - 1) * size, a + sorted * size, data) <= 0)
    sorted++;
  if (sorted == n)
    return;
  if (sorted < n / 2)
    {
      solv_sort(base, n, size, cmp, data); /* a fresh solver: nothing worth keeping */
      return;
    }
  solv_sort(a + sorted * size, n - sorted, size, cmp, data);
  tail = solv_malloc2(n - sorted, size);
  memcpy(tail, a + sorted * size, (n - sorted) * size);
  /* Merge from the back: i walks the prefix, j the tail copy, k the destination. */
  i = sorted;
  j = n - sorted;
  k = n;
  while (j > 0)
    {
      if (i > 0 && cmp(a + (i - 1) * size, tail + (j - 1) * size, data) > 0)
        memcpy(a + --k * size, a + --i * size, size);
      else
        memcpy(a + --k * size, tail + --j * size, size);
    }
  solv_free(tail);
}

EMSCRIPTEN_KEEPALIVE void ripple_pool_free(Pool *pool)
{
  forget_pool(pool);
  pool_free(pool);
}

static Id *intern_strings(Pool *pool, const char *buf, int count)
{
  Id *ids = solv_malloc2(count > 0 ? count : 1, sizeof(Id));
  int i;
  for (i = 0; i < count; i++)
    {
      size_t len = strlen(buf);
      ids[i] = pool_strn2id(pool, buf, (unsigned int)len, 1);
      buf += len + 1;
    }
  return ids;
}

static Id read_dep(Pool *pool, const Id *strs, const int **pp)
{
  const int *p = *pp;
  int tag = *p++;
  Id left, right;
  if (tag == 0)
    {
      *pp = p + 3;
      return p[1] ? pool_rel2id(pool, strs[p[0]], strs[p[2]], p[1], 1) : strs[p[0]];
    }
  *pp = p;
  left = read_dep(pool, strs, pp);
  right = read_dep(pool, strs, pp);
  return pool_rel2id(pool, left, right, tag, 1);
}

static Offset read_deps(Repo *repo, const Id *strs, const int **pp, Offset deps)
{
  int n = *(*pp)++;
  while (n-- > 0)
    deps = repo_addid_dep(repo, deps, read_dep(repo->pool, strs, pp), 0);
  return deps;
}

/* Adds one repository; returns the id of its first solvable (ids are consecutive). */
EMSCRIPTEN_KEEPALIVE int ripple_add_repo(Pool *pool, const char *name, const char *strbuf, int nstrs,
                                         const int *rec, int npkgs)
{
  Id *strs = intern_strings(pool, strbuf, nstrs);
  Repo *repo = repo_create(pool, name);
  Id start = repo_add_solvable_block(repo, npkgs);
  int i, nfiles;
  for (i = 0; i < npkgs; i++)
    {
      Solvable *s = pool->solvables + start + i;
      s->name = strs[*rec++];
      s->evr = strs[*rec++];
      s->arch = strs[*rec++];
      s->provides = read_deps(repo, strs, &rec, 0);
      /* rpm files become provides, so `/path` requirements match without a filelist pass. */
      for (nfiles = *rec++; nfiles > 0; nfiles--)
        s->provides = repo_addid_dep(repo, s->provides, strs[*rec++], 0);
      s->provides = repo_addid_dep(repo, s->provides, pool_rel2id(pool, s->name, s->evr, REL_EQ, 1), 0);
      s->requires = read_deps(repo, strs, &rec, 0);
      s->conflicts = read_deps(repo, strs, &rec, 0);
      s->obsoletes = read_deps(repo, strs, &rec, 0);
      s->recommends = read_deps(repo, strs, &rec, 0);
      s->suggests = read_deps(repo, strs, &rec, 0);
      s->supplements = read_deps(repo, strs, &rec, 0);
      s->enhances = read_deps(repo, strs, &rec, 0);
    }
  solv_free(strs);
  repo_internalize(repo);
  pool_freewhatprovides(pool); /* rebuilt lazily before the next solve */
  forget_pool(pool);           /* the kept solver's rules and the arch check predate this repo */
  return start;
}

/* ---- result buffer: ints plus a text area, described by `header` for the TS side ---- */

static Queue result;
static char *text;
static int textlen, textcap;
static int header[4];

static void push_text(const char *s)
{
  int len = (int)strlen(s);
  if (textlen + len > textcap)
    {
      textcap = (textlen + len) * 2 + 4096;
      text = solv_realloc(text, textcap);
    }
  memcpy(text + textlen, s, len);
  queue_push2(&result, textlen, len);
  textlen += len;
}

/* ---- distances ---- */

static void mark_providers(Pool *pool, Id dep, int *state, int level, Queue *next)
{
  Id p, pp;
  if (ISRELDEP(dep))
    {
      Reldep *rd = GETRELDEP(pool, dep);
      switch (rd->flags)
        {
        case REL_AND:
        case REL_OR:
        case REL_WITH:
          mark_providers(pool, rd->name, state, level, next);
          mark_providers(pool, rd->evr, state, level, next);
          return;
        case REL_COND:
        case REL_UNLESS:
          /* The condition is not asked for; the consequence and an else branch are. */
          mark_providers(pool, rd->name, state, level, next);
          if (ISRELDEP(rd->evr) && GETRELDEP(pool, rd->evr)->flags == REL_ELSE)
            mark_providers(pool, GETRELDEP(pool, rd->evr)->evr, state, level, next);
          return;
        case REL_WITHOUT:
          mark_providers(pool, rd->name, state, level, next);
          return;
        default:
          break;
        }
    }
  FOR_PROVIDES(p, pp, dep)
    if (state[p] == UNREACHED)
      {
        state[p] = level;
        queue_push(next, p);
      }
}

static void mark_dep_list(Pool *pool, Solvable *s, Offset deps, int *state, int level, Queue *next)
{
  Id *dp;
  if (!deps)
    return;
  for (dp = s->repo->idarraydata + deps; *dp; dp++)
    if (*dp != SOLVABLE_PREREQMARKER)
      mark_providers(pool, *dp, state, level, next);
}

static void report_members(Solver *solv, const Queue *roots, const Map *base, int weak)
{
  Pool *pool = solv->pool;
  int *state = solv_calloc(pool->nsolvables, sizeof(int));
  Queue members, frontier, next;
  int i, level;
  queue_init(&members);
  queue_init(&frontier);
  queue_init(&next);
  for (i = 0; i < solv->decisionq.count; i++)
    {
      Id p = solv->decisionq.elements[i];
      if (p <= 0 || p == SYSTEMSOLVABLE)
        continue;
      queue_push(&members, p);
      state[p] = MAPTST(base, p) ? BASE_MEMBER : UNREACHED;
    }
  for (i = 0; i < roots->count; i++)
    mark_providers(pool, roots->elements[i], state, 1, &next);
  /* Base members are sinks: their own closure is base by construction. */
  for (level = 2; next.count; level++)
    {
      queue_free(&frontier);
      frontier = next;
      queue_init(&next);
      for (i = 0; i < frontier.count; i++)
        {
          Solvable *s = pool->solvables + frontier.elements[i];
          mark_dep_list(pool, s, s->requires, state, level, &next);
          if (weak)
            mark_dep_list(pool, s, s->recommends, state, level, &next);
        }
    }
  queue_push2(&result, 1, members.count);
  for (i = 0; i < members.count; i++)
    {
      Id p = members.elements[i];
      queue_push2(&result, p, state[p]);
    }
  queue_free(&members);
  queue_free(&frontier);
  queue_free(&next);
  solv_free(state);
}

/* ---- problems ---- */

static void report_problems(Solver *solv)
{
  Pool *pool = solv->pool;
  int nproblems = solver_problem_count(solv);
  Queue rules, sentences, pkgs, deps;
  Id problem;
  int i, j;
  queue_init(&rules);
  queue_init(&sentences);
  queue_init(&pkgs);
  queue_init(&deps);
  queue_push2(&result, 0, nproblems);
  for (problem = 1; problem <= nproblems; problem++)
    {
      int countat;
      solver_findallproblemrules(solv, problem, &rules);
      queue_empty(&pkgs);
      queue_empty(&deps);
      countat = result.count;
      queue_push(&result, 0);
      queue_empty(&sentences);
      for (i = 0; i < rules.count; i++)
        {
          Id source, target, dep;
          SolverRuleinfo type = solver_ruleinfo(solv, rules.elements[i], &source, &target, &dep);
          const char *sentence = solver_problemruleinfo2str(solv, type, source, target, dep);
          int seen = 0;
          for (j = 0; j < sentences.count && !seen; j += 2)
            seen = sentences.elements[j + 1] == (int)strlen(sentence)
                   && !memcmp(text + sentences.elements[j], sentence, strlen(sentence));
          if (!seen)
            {
              push_text(sentence);
              queue_push2(&sentences, result.elements[result.count - 2], result.elements[result.count - 1]);
              result.elements[countat]++;
            }
          if ((type & 0xff00) == SOLVER_RULE_JOB)
            {
              /* For job rules source is the job index, target its flags and dep its target. */
              if ((target & SOLVER_SELECTMASK) == SOLVER_SOLVABLE)
                queue_pushunique(&pkgs, dep);
              else if (dep)
                queue_pushunique(&deps, dep);
              continue;
            }
          if (source > 0 && source < pool->nsolvables)
            queue_pushunique(&pkgs, source);
          if (target > 0 && target < pool->nsolvables)
            queue_pushunique(&pkgs, target);
          if (dep)
            queue_pushunique(&deps, dep);
        }
      queue_push(&result, pkgs.count);
      for (i = 0; i < pkgs.count; i++)
        queue_push(&result, pkgs.elements[i]);
      queue_push(&result, deps.count);
      for (i = 0; i < deps.count; i++)
        push_text(pool_dep2str(pool, deps.elements[i]));
    }
  queue_free(&rules);
  queue_free(&sentences);
  queue_free(&pkgs);
  queue_free(&deps);
}

/*
 * Runs one resolution. Returns {ints, intcount, text, textlen}; the buffers stay valid until
 * the next call.
 */
EMSCRIPTEN_KEEPALIVE int *ripple_solve(Pool *pool, const char *strbuf, int nstrs, const int *jobs, int njobs, int flags)
{
  Queue job, roots, hidden;
  Map base;
  Id *strs;
  Solver *solv, *kept;
  int i;

  if (!pool->whatprovides)
    pool_createwhatprovides(pool);
  strs = intern_strings(pool, strbuf, nstrs);
  queue_init(&job);
  queue_init(&roots);
  queue_init(&hidden);
  map_init(&base, pool->nsolvables);
  for (i = 0; i < njobs; i++)
    {
      int type = *jobs++;
      Id what;
      switch (type)
        {
        case JOB_REQUIRE:
          what = read_dep(pool, strs, &jobs);
          queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, what);
          queue_push(&roots, what);
          break;
        case JOB_CONFLICT:
          /* Erasing what is not installed forbids installing it. */
          queue_push2(&job, SOLVER_ERASE | SOLVER_SOLVABLE_PROVIDES, read_dep(pool, strs, &jobs));
          break;
        case JOB_NAME:
          what = strs[*jobs++];
          queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, what);
          queue_push(&roots, what);
          break;
        default: /* JOB_BASE */
          what = *jobs++;
          queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE, what);
          MAPSET(&base, what);
          break;
        }
    }
  solv_free(strs);

  /*
   * The base buildroot is a fixed set closed under requires (it was resolved on its own), so every
   * requires rule of a base member is satisfied by the base itself and can never constrain the
   * solve. Hiding those requires for the duration of the solve stops rule generation at the base
   * instead of re-deriving the base's closure for every source; conflicts and obsoletes stay.
   * With weak dependencies on, recommends of base members still matter, so nothing is hidden.
   */
  if (!(flags & FLAG_WEAK))
    for (i = 0; i < job.count; i += 2)
      if (job.elements[i] == (SOLVER_INSTALL | SOLVER_SOLVABLE) && MAPTST(&base, job.elements[i + 1]))
        {
          Solvable *s = pool->solvables + job.elements[i + 1];
          queue_push2(&hidden, job.elements[i + 1], s->requires);
          s->requires = 0;
        }

  kept = kept_solver(pool, flags, &hidden);
  solv = kept ? kept : new_solver(pool, flags);
  queue_empty(&result);
  textlen = 0;
  if (solver_solve(solv, &job) != 0 && kept)
    {
      /* Unsolvable: problems come from a fresh solver, whose proof walk is the reference one. */
      solv = new_solver(pool, flags);
      solver_solve(solv, &job);
    }
  if (solver_problem_count(solv) == 0)
    report_members(solv, &roots, &base, flags & FLAG_WEAK);
  else
    report_problems(solv);
  if (solv != kept)
    solver_free(solv);
  for (i = 0; i < hidden.count; i += 2)
    pool->solvables[hidden.elements[i]].requires = hidden.elements[i + 1];
  queue_free(&hidden);
  queue_free(&job);
  queue_free(&roots);
  map_free(&base);

  header[0] = (int)(intptr_t)result.elements;
  header[1] = result.count;
  header[2] = (int)(intptr_t)text;
  header[3] = textlen;
  return header;
}


/*
 * The providers of each dependency in `deps` (encoded like job dependencies), as libsolv's
 * whatprovides sees them: [count, solvable...] per dependency. Incremental resolution uses it to
 * tell whether a dependency is satisfied by the same packages in two snapshots.
 */
EMSCRIPTEN_KEEPALIVE int *ripple_whatprovides(Pool *pool, const char *strbuf, int nstrs, const int *deps, int ndeps)
{
  Id *strs;
  Id p, pp;
  int i, countat;

  if (!pool->whatprovides)
    pool_createwhatprovides(pool);
  strs = intern_strings(pool, strbuf, nstrs);
  queue_empty(&result);
  textlen = 0;
  for (i = 0; i < ndeps; i++)
    {
      Id dep = read_dep(pool, strs, &deps);
      countat = result.count;
      queue_push(&result, 0);
      FOR_PROVIDES(p, pp, dep)
        {
          queue_push(&result, p);
          result.elements[countat]++;
        }
    }
  solv_free(strs);
  header[0] = (int)(intptr_t)result.elements;
  header[1] = result.count;
  header[2] = (int)(intptr_t)text;
  header[3] = textlen;
  return header;
}
