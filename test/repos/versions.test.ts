import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareDebianVersions, compareRpmVersions, rpmvercmp } from '../../src/repos/versions.ts';

// [a, b, expected sign]; each row is also checked reversed.
const RPMVERCMP: [string, string, number][] = [
  ['1.0', '1.0', 0], ['1.0', '2.0', -1], ['2.0.1', '2.0', 1], ['2.0.1a', '2.0.1', 1], ['5.5p1', '5.5p2', -1],
  ['5.5p10', '5.5p1', 1], ['10xyz', '10.1xyz', -1], ['xyz10', 'xyz10.1', -1], ['1.0', '1.0a', -1], ['1.0a', '1.0b', -1],
  ['a', '1', -1], ['10', '9', 1], ['010', '10', 0], ['1.0', '1_0', 0], ['1..0', '1.0', 0], ['fc4', 'fc.4', 0],
  ['1.0~rc1', '1.0', -1], ['1.0~rc1', '1.0~rc2', -1], ['1.0~rc1~git', '1.0~rc1', -1], ['~', '~~', 1],
  ['1.0^', '1.0', 1], ['1.0^git1', '1.0', 1], ['1.0^git1', '1.01', -1], ['1.0^git1', '1.0^git2', -1],
  ['1.0^git1', '1.0.1', -1], ['1.0^20160101', '1.0.1', -1], ['1.0~rc1^git1', '1.0~rc1', 1], ['1.0^git1~pre', '1.0^git1', -1],
];

test('rpmvercmp matches rpm on its own test table', () => {
  for (const [a, b, want] of RPMVERCMP) {
    assert.is(rpmvercmp(a, b), want, `${a} vs ${b}`);
    assert.is(rpmvercmp(b, a), -want, `${b} vs ${a}`);
  }
});

test('compareRpmVersions orders epoch, then version, then release', () => {
  const rows: [string, string, number][] = [
    ['1:1.0-1', '2.0-1', 1], ['0:1.0-1', '1.0-1', 0], ['1.0-2.fc38', '1.0-10.fc38', -1], ['1.0-1', '1.0', 0],
    ['2:0.1-1', '1:9.9-9', 1], ['1.2.3-1.el9', '1.2.3-1.el9_1', -1],
  ];
  for (const [a, b, want] of rows) assert.is(compareRpmVersions(a, b), want, `${a} vs ${b}`);
  assert.is(compareRpmVersions({ epoch: 0, version: '1', release: '2' }, { epoch: 0, version: '1', release: '10' }), -1);
});

test('compareDebianVersions follows Debian policy 5.6.12', () => {
  const rows: [string, string, number][] = [
    ['1.0', '1.0', 0], ['1.0-1', '1.0-2', -1], ['1:1.0', '2.0', 1], ['1.0~rc1', '1.0', -1], ['1.0~~', '1.0~', -1],
    ['1.0~~a', '1.0~~', 1], ['1.0', '1.0a', -1], ['1.0a', '1.0+', -1], ['1.0+b1', '1.0', 1], ['2.10-3', '2.9-9', 1],
    ['1.0-1', '1.0', 1], ['0:1.0', '1.0', 0], ['1.02', '1.2', 0], ['5.36.0-7+deb12u1', '5.36.0-7+deb12u3', -1],
    ['1.2.3~bpo12+1', '1.2.3', -1], ['7.88.1-10+deb12u5', '7.88.1-10', 1], ['a', '~', 1], ['1:0', '0:9', 1],
  ];
  for (const [a, b, want] of rows) {
    assert.is(compareDebianVersions(a, b), want, `${a} vs ${b}`);
    assert.is(compareDebianVersions(b, a), -want, `${b} vs ${a}`);
  }
});

test.run();
