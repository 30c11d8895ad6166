#!/usr/bin/python3
"""Reference resolver: native libsolv (Debian's python3-solv) on rpm-md repositories.

Reads one JSON request on stdin and writes a JSON list of verdicts on stdout:

  request: {"arch": "x86_64", "repos": [dir, ...], "mode": "sources" | "binaries",
            "base": {"group": "build"} | ["pkg", ...], "weakDeps": false,
            "overlay": "merge" | "replace", "only": ["name", ...] (optional)}
  verdict: {"name", "evr", "arch", "resolved", "buildroot": ["name-[epoch:]version-release.arch"],
            "problems": ["libsolv problem rule text", ...]}

sources:  per arch=src package, one job: install a provider of every requirement (BuildRequires)
          plus every base package by name, forbid every conflict (BuildConflicts); nothing installed.
binaries: per binary package, install exactly that package plus the base.
overlay:  "merge" shows every repository to libsolv (like dnf with several repos enabled);
          "replace" hides packages of a source in earlier repositories once a later repository
          has that source (Koji tag inheritance: the latest build of a package wins).
Bad input exits 2 with the reason on stderr.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

import solv

REPO_NS = '{http://linux.duke.edu/metadata/repo}'
COMPS_GROUP_TYPES = ('mandatory', 'default')


def fail(message):
    sys.stderr.write(f'solv-oracle: {message}\n')
    sys.exit(2)


def repomd_locations(repo_dir):
    path = os.path.join(repo_dir, 'repodata', 'repomd.xml')
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        fail(f'{path}: cannot read repomd.xml: {error}')
    found = {}
    for data in root.findall(f'{REPO_NS}data'):
        location = data.find(f'{REPO_NS}location')
        if location is not None:
            found[data.get('type')] = os.path.join(repo_dir, location.get('href'))
    return found


def load_repo(pool, index, repo_dir):
    locations = repomd_locations(repo_dir)
    if 'primary' not in locations:
        fail(f'{repo_dir}/repodata/repomd.xml: no primary data')
    repo = pool.add_repo(f'repo{index}')
    repo.add_repomdxml(solv.xfopen(os.path.join(repo_dir, 'repodata', 'repomd.xml')), 0)
    if not repo.add_rpmmd(solv.xfopen(locations['primary']), None, 0):
        fail(f'{locations["primary"]}: {pool.errstr}')
    if 'filelists' in locations:
        if not repo.add_rpmmd(solv.xfopen(locations['filelists']), None, solv.Repo.REPO_EXTEND_SOLVABLES):
            fail(f'{locations["filelists"]}: {pool.errstr}')
    repo.internalize()
    return repo, locations.get('group')


def group_members(comps_path, group_id):
    root = ET.parse(comps_path).getroot()
    for group in root.findall('group'):
        if group.findtext('id') == group_id:
            return [req.text.strip() for req in group.iter('packagereq')
                    if req.get('type', 'mandatory') in COMPS_GROUP_TYPES]
    fail(f'{comps_path}: no group {group_id!r}')


def source_name(solvable):
    if solvable.arch in ('src', 'nosrc'):
        return solvable.name
    # sourcerpm is name-version-release.src.rpm; the name may itself contain dashes.
    sourcerpm = solvable.lookup_sourcepkg() or ''
    return sourcerpm.rsplit('-', 2)[0] if sourcerpm.count('-') >= 2 else solvable.name


def visible_solvables(repos, overlay):
    visible = []
    hidden_sources = set()
    for repo in reversed(repos):
        mine = [s for s in repo.solvables_iter() if source_name(s) not in hidden_sources]
        if overlay == 'replace':
            hidden_sources |= {source_name(s) for s in repo.solvables_iter()}
        visible = mine + visible
    return visible


def verdict(pool, solvable, jobs, weak_deps):
    solver = pool.Solver()
    solver.set_flag(solv.Solver.SOLVER_FLAG_IGNORE_RECOMMENDED, 0 if weak_deps else 1)
    problems = solver.solve(jobs)
    item = {'name': solvable.name, 'evr': solvable.evr, 'arch': solvable.arch}
    if problems:
        texts = []
        for problem in problems:
            for rule in problem.findallproblemrules():
                text = rule.info().problemstr()
                if text not in texts:
                    texts.append(text)
        return {**item, 'resolved': False, 'buildroot': [], 'problems': texts}
    chosen = solver.transaction().newsolvables()
    return {**item, 'resolved': True, 'buildroot': sorted(f'{s.name}-{s.evr}.{s.arch}' for s in chosen), 'problems': []}


def main():
    try:
        request = json.load(sys.stdin)
    except json.JSONDecodeError as error:
        fail(f'request on stdin is not JSON: {error}')
    mode = request.get('mode')
    overlay = request.get('overlay', 'merge')
    if mode not in ('sources', 'binaries'):
        fail(f'field mode: expected "sources" or "binaries", got {mode!r}')
    if overlay not in ('merge', 'replace'):
        fail(f'field overlay: expected "merge" or "replace", got {overlay!r}')
    if not request.get('repos'):
        fail('field repos: at least one repository directory is required')

    pool = solv.Pool()
    pool.setdisttype(solv.Pool.DISTTYPE_RPM)
    pool.setarch(request.get('arch', 'x86_64'))
    loaded = [load_repo(pool, i, d) for i, d in enumerate(request['repos'])]
    repos = [repo for repo, _ in loaded]

    base = request.get('base', [])
    if isinstance(base, dict):
        comps = [c for _, c in loaded if c]
        if not comps:
            fail('field base.group: no repository has comps (group) data')
        base = group_members(comps[-1], base.get('group'))

    visible = visible_solvables(repos, overlay)
    pool.set_considered_list([s.id for s in visible])
    pool.addfileprovides()
    pool.createwhatprovides()

    base_jobs = [pool.Job(solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_SOLVABLE_NAME, pool.str2id(n)) for n in base]
    only = set(request['only']) if request.get('only') else None
    results = []
    for s in visible:
        is_source = s.arch in ('src', 'nosrc')
        if is_source != (mode == 'sources') or (only is not None and s.name not in only):
            continue
        if is_source:
            jobs = [pool.Job(solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_SOLVABLE_PROVIDES, d.id)
                    for d in s.lookup_deparray(solv.SOLVABLE_REQUIRES)]
            jobs += [pool.Job(solv.Job.SOLVER_ERASE | solv.Job.SOLVER_SOLVABLE_PROVIDES, d.id)
                     for d in s.lookup_deparray(solv.SOLVABLE_CONFLICTS)]
        else:
            jobs = [pool.Job(solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_SOLVABLE, s.id)]
        results.append(verdict(pool, s, jobs + base_jobs, bool(request.get('weakDeps'))))
    results.sort(key=lambda r: (r['name'], r['evr'], r['arch']))
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write('\n')


main()
