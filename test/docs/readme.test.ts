import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readmePath, withConfigTable } from '../../scripts/config-reference.ts';

test('the README configuration table lists every option of src/config.ts as declared', () => {
  const readme = readFileSync(readmePath, 'utf8');
  assert.fixture(readme, withConfigTable(readme), 'run: node --import tsx scripts/config-reference.ts --write');
});

test.run();
