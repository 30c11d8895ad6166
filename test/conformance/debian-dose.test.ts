/**
 * Debian conformance: on a deterministic sample of bookworm (every 17th source by name, plus every
 * source that once disagreed and dose's broken ones), Ripple's installable/uninstallable verdict equals
 * dose-builddebcheck's. Disagreements are allowed only when exceptions.ts explains their cause.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runDoseBuilddebcheck } from '../oracles/dose.ts';
import { bookworm, bookwormSources, ourVerdicts } from './debian-compare.ts';
import { explainDebianDisagreement, formerDebianDisagreements } from './exceptions.ts';

/** cmucl is the one source dose finds broken in bookworm (Extra-Source-Only stanzas aside). */
const alwaysChecked = ['cmucl', ...formerDebianDisagreements];

test('bookworm sample: our verdicts equal dose-builddebcheck\'s', async () => {
  const { snapshot, sources } = await bookwormSources();
  const sample = sources.filter((s, i) => i % 17 === 0 || alwaysChecked.includes(s.name));
  assert.ok(sample.length >= 2000, `sample has only ${sample.length} sources`);
  const [ours, dose] = await Promise.all([
    ourVerdicts(snapshot, sample),
    runDoseBuilddebcheck({ packages: [`${bookworm}Packages.xz`], sources: `${bookworm}Sources.xz`, arch: 'amd64', sourceNames: sample.map((s) => s.name) }),
  ]);
  const problems: string[] = [];
  const excepted: string[] = [];
  for (const source of sample) {
    const mine = ours.get(source.name)!;
    const theirs = dose.get(source.name);
    if (!theirs) {
      problems.push(`${source.name}: dose gave no verdict`);
      continue;
    }
    if (theirs.version.replace(/^0:/, '') !== mine.version) problems.push(`${source.name}: versions differ, ours ${mine.version}, dose ${theirs.version}`);
    if (mine.resolved === (theirs.status === 'ok')) continue;
    if (explainDebianDisagreement(mine.problem)) excepted.push(source.name);
    else problems.push(`${source.name} ${mine.version}: ours ${mine.resolved ? 'installable' : `uninstallable (${mine.problem})`}, dose ${theirs.status}${theirs.reasons ? ` (${theirs.reasons})` : ''}`);
  }
  assert.is(dose.size, sample.length, 'dose checked a different set of sources');
  assert.ok(problems.length === 0, `${problems.length} unexplained disagreement(s) in ${sample.length} sources:\n${problems.join('\n')}`);
  for (const name of formerDebianDisagreements) assert.ok(sample.some((s) => s.name === name) && !excepted.includes(name), `${name} must be checked and agree`);
  assert.is(ours.get('cmucl')?.resolved, false);
});

test.run();
