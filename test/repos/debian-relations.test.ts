import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RippleError } from '../../src/errors.ts';
import { debianArchMatches, parseDebianRelations, reduceRelations } from '../../src/repos/debian-relations.ts';

const where = { file: 'Sources', line: 7, field: 'Build-Depends' };

test('parses alternatives, versions, qualifiers, arch lists and profiles', () => {
  const parsed = parseDebianRelations(
    'debhelper-compat (= 13), gcc (>> 4) | clang:native (<< 9) [amd64 arm64] <!nocheck> <stage1 cross>, libc6-dev:any (<= 2), foo (< 1), bar (>2),', where);
  assert.equal(parsed, [
    [{ name: 'debhelper-compat', relation: '=', evr: '13' }],
    [{ name: 'gcc', relation: '>', evr: '4' },
      { name: 'clang', qualifier: 'native', relation: '<', evr: '9', architectures: { negated: false, list: ['amd64', 'arm64'] },
        profiles: [[{ negated: true, name: 'nocheck' }], [{ negated: false, name: 'stage1' }, { negated: false, name: 'cross' }]] }],
    [{ name: 'libc6-dev', qualifier: 'any', relation: '<=', evr: '2' }],
    // The obsolete `<` and `>` mean <= and >=.
    [{ name: 'foo', relation: '<=', evr: '1' }],
    [{ name: 'bar', relation: '>=', evr: '2' }],
  ]);
});

test('bad syntax names file, line and field', () => {
  for (const bad of ['foo (>= )', 'foo [amd64 !i386]', 'foo (~ 1)', 'foo <>', 'foo bar']) {
    assert.throws(() => parseDebianRelations(bad, where),
      (e: Error) => e instanceof RippleError && /^Sources:7 \(field Build-Depends\): /.test(e.message), bad);
  }
});

test('architecture wildcards use dpkg tuples', () => {
  const rows: [string, string, boolean][] = [
    ['amd64', 'any', true], ['amd64', 'linux-any', true], ['amd64', 'any-amd64', true], ['amd64', 'any-i386', false],
    ['i386', 'any-i386', true], ['hurd-i386', 'any-i386', true], ['hurd-i386', 'linux-any', false], ['hurd-i386', 'hurd-any', true],
    ['armhf', 'any-arm', true], ['armhf', 'armel', false], ['arm64', 'any-arm64', true], ['arm64', 'any-arm', false],
    ['x32', 'any-amd64', true], ['amd64', 'gnu-linux-any', true], ['amd64', 'musl-linux-any', false],
    ['kfreebsd-amd64', 'kfreebsd-any', true], ['kfreebsd-amd64', 'linux-any', false], ['amd64', 'all', false], ['amd64', 'amd64', true],
    ['amd64', 'gnu-any', false], ['hurd-i386', 'gnu-any', false], ['armhf', 'eabihf-any-any-arm', true],
  ];
  for (const [arch, pattern, want] of rows) assert.is(debianArchMatches(arch, pattern), want, `${arch} ~ ${pattern}`);
});

test('reduction drops alternatives and relations that do not apply', () => {
  const relations = parseDebianRelations(
    'libgpm-dev [linux-any], libsystemd-dev [!hurd-any !kfreebsd-any], cargo:native <!nocheck>, a [i386] | b, c [i386] | d <stage1>, e <stage1 !cross> <pkg.foo>', where);
  assert.equal(reduceRelations(relations, 'amd64', new Set()), [
    { name: 'libgpm-dev' }, { name: 'libsystemd-dev' }, { name: 'cargo', qualifier: 'native' }, { name: 'b' },
  ]);
  assert.equal(reduceRelations(relations, 'hurd-i386', new Set(['nocheck', 'stage1'])), [
    { name: 'b' }, { name: 'd' }, { name: 'e' },
  ]);
  assert.equal(reduceRelations(relations, 'i386', new Set(['nocheck', 'stage1'])), [
    { name: 'libgpm-dev' }, { name: 'libsystemd-dev' }, { op: 'or', args: [{ name: 'a' }, { name: 'b' }] }, { op: 'or', args: [{ name: 'c' }, { name: 'd' }] }, { name: 'e' },
  ]);
  assert.equal(reduceRelations(relations, 'amd64', new Set(['stage1', 'cross', 'pkg.foo'])).slice(-2), [{ name: 'd' }, { name: 'e' }]);
});

test.run();
