import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dependencyNames, parseRichDependency, RichDependencySyntaxError } from '../../src/repos/rich-dependency.ts';

test('parses rpm boolean dependencies', () => {
  assert.equal(parseRichDependency('(foo >= 1.0 with foo < 2)'), {
    op: 'with', args: [{ name: 'foo', relation: '>=', evr: '1.0' }, { name: 'foo', relation: '<', evr: '2' }],
  });
  assert.equal(parseRichDependency('(python3 or python2)'), { op: 'or', args: [{ name: 'python3' }, { name: 'python2' }] });
  assert.equal(parseRichDependency('(a if b else c)'), { op: 'if', args: [{ name: 'a' }, { name: 'b' }], otherwise: { name: 'c' } });
  assert.equal(parseRichDependency('(a unless b)'), { op: 'unless', args: [{ name: 'a' }, { name: 'b' }] });
  assert.equal(parseRichDependency('(a without b)'), { op: 'without', args: [{ name: 'a' }, { name: 'b' }] });
  assert.equal(parseRichDependency('(a and b and c)'), { op: 'and', args: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
});

test('names may contain parentheses and nesting works', () => {
  const dep = parseRichDependency('((perl(Foo::Bar) >= 1:2.0-3 or /usr/bin/perl) if (kernel and glibc(x86-64)) else bash)');
  assert.equal(dep, {
    op: 'if',
    args: [
      { op: 'or', args: [{ name: 'perl(Foo::Bar)', relation: '>=', evr: '1:2.0-3' }, { name: '/usr/bin/perl' }] },
      { op: 'and', args: [{ name: 'kernel' }, { name: 'glibc(x86-64)' }] },
    ],
    otherwise: { name: 'bash' },
  });
  assert.equal(dependencyNames(dep), ['perl(Foo::Bar)', '/usr/bin/perl', 'kernel', 'glibc(x86-64)', 'bash']);
});

test('rejects what rpm rejects, naming the text', () => {
  for (const bad of ['(a and b or c)', '(a or)', '(a', 'a or b', '(a if b else c else d)', '(and b)', '(a >= )', '(a) b', '(a if b and c)']) {
    assert.throws(() => parseRichDependency(bad), (e: Error) => e instanceof RichDependencySyntaxError && e.message.includes(bad), bad);
  }
});

test.run();
