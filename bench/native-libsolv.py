#!/usr/bin/python3
"""Native libsolv (Debian's python3-solv) resolving Debian build dependencies, for bench/resolve.ts.

usage: native-libsolv.py Packages[.xz] sources.json [--base-solvables]

Packages are read by libsolv's own parser (repo.add_debpackages). sources.json is Ripple's reduced
view of Sources (what bench/resolve.ts dumps: {essential: [name], sources: [{name, buildRequires,
buildConflicts}]} in the shared Dependency model), so both sides solve exactly the same jobs. Per source, one fresh solver and one
job: install a provider of each build dependency (alternatives as REL_OR), erase-by-provides each
build conflict, install build-essential and every Essential: yes package by name; recommends ignored.
With --base-solvables the base is resolved once and pinned as exact solvables instead, as Ripple does.
Prints one JSON object: counts, timings (ms) and the number of installed packages per source.
"""
import json
import sys
import time

import solv

FLAGS = {'<': solv.REL_LT, '<=': solv.REL_LT | solv.REL_EQ, '=': solv.REL_EQ, '>=': solv.REL_GT | solv.REL_EQ, '>': solv.REL_GT}


def dep_id(pool, dep):
    if 'op' in dep:
        if dep['op'] != 'or':
            raise ValueError(f'unexpected operator {dep["op"]!r} in a Debian dependency')
        ids = [dep_id(pool, a) for a in dep['args']]
        result = ids[0]
        for other in ids[1:]:
            result = pool.rel2id(result, other, solv.REL_OR)
        return result
    name = pool.str2id(dep['name'])
    if 'relation' not in dep:
        return name
    return pool.rel2id(name, pool.str2id(dep['evr']), FLAGS[dep['relation']])


def main():
    packages, sources_file = sys.argv[1], sys.argv[2]
    pin_base = '--base-solvables' in sys.argv[3:]
    started = time.perf_counter()
    pool = solv.Pool()
    pool.setdisttype(solv.Pool.DISTTYPE_DEB)
    pool.setarch('amd64')
    repo = pool.add_repo('bookworm')
    if not repo.add_debpackages(solv.xfopen(packages)):
        sys.exit(f'{packages}: {pool.errstr}')
    repo.internalize()
    pool.createwhatprovides()
    with open(sources_file) as f:
        request = json.load(f)
    sources, essential = request['sources'], request['essential']
    base_jobs = [pool.Job(solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_SOLVABLE_NAME, pool.str2id(n)) for n in ['build-essential'] + essential]
    if pin_base:
        solver = pool.Solver()
        solver.set_flag(solv.Solver.SOLVER_FLAG_IGNORE_RECOMMENDED, 1)
        if solver.solve(base_jobs):
            sys.exit('the base is not installable')
        base_jobs = [pool.Job(solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_SOLVABLE, s.id) for s in solver.transaction().newsolvables()]
    loaded = time.perf_counter()
    sizes = {}
    broken = []
    for source in sources:
        jobs = [pool.Job(solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_SOLVABLE_PROVIDES, dep_id(pool, d)) for d in source['buildRequires']]
        jobs += [pool.Job(solv.Job.SOLVER_ERASE | solv.Job.SOLVER_SOLVABLE_PROVIDES, dep_id(pool, d)) for d in source['buildConflicts']]
        solver = pool.Solver()
        solver.set_flag(solv.Solver.SOLVER_FLAG_IGNORE_RECOMMENDED, 1)
        if solver.solve(jobs + base_jobs):
            broken.append(source['name'])
        else:
            sizes[source['name']] = len(solver.transaction().newsolvables())
    done = time.perf_counter()
    json.dump({
        'sources': len(sources), 'resolved': len(sizes), 'broken': broken, 'essential': len(essential),
        'loadMs': round((loaded - started) * 1000), 'solveMs': round((done - loaded) * 1000),
        'msPerSource': round((done - loaded) * 1000 / max(1, len(sources)), 2), 'sizes': sizes,
    }, sys.stdout)
    sys.stdout.write('\n')


main()
