import { test } from 'uvu';
import * as assert from 'uvu/assert';
test('runner counts', () => { assert.is(1 + 1, 2); });
test.run();
