import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configOptions, configReference, loadConfig } from '../../src/config.ts';
import { RippleError } from '../../src/errors.ts';

test('defaults: PGlite under .ripple in the working directory, HTTP on 127.0.0.1:8080', () => {
  const config = loadConfig({}, '/srv/ripple');
  assert.is(config.databaseUrl, '');
  assert.is(config.dataDir, '/srv/ripple/.ripple');
  assert.is(config.httpHost, '127.0.0.1');
  assert.is(config.httpPort, 8080);
  assert.ok(Object.isFrozen(config));
});

test('environment variables override defaults and are normalised', () => {
  const config = loadConfig({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
    RIPPLE_DATA_DIR: 'state',
    RIPPLE_HTTP_PORT: '9090',
    RIPPLE_BASE_URL: 'https://ripple.example.org/',
    RIPPLE_LOG_LEVEL: 'debug',
    RIPPLE_POLL_CRON: '0 * * * *',
  }, '/srv');
  assert.is(config.databaseUrl, 'postgres://postgres@127.0.0.1:5432/test');
  assert.is(config.dataDir, '/srv/state');
  assert.is(config.httpPort, 9090);
  assert.is(config.baseUrl, 'https://ripple.example.org');
  assert.is(config.logLevel, 'debug');
  assert.is(config.pollCron, '0 * * * *');
});

const bad: [string, string, string][] = [
  ['RIPPLE_HTTP_PORT', 'eighty', 'must be an integer'],
  ['RIPPLE_HTTP_PORT', '70000', 'must be at most 65535'],
  ['RIPPLE_RESOLVER_THREADS', '0', 'must be at least 1'],
  ['RIPPLE_EVENT_RETENTION_DAYS', '1.5', 'must be an integer'],
  ['RIPPLE_LOG_LEVEL', 'loud', 'must be one of debug, info, warn, error'],
  ['RIPPLE_POLL_CRON', 'every minute', 'is not a valid cron expression'],
  ['DATABASE_URL', 'mysql://x', 'must start with postgres://'],
  ['RIPPLE_BASE_URL', 'not a url', 'must be an absolute URL'],
];
for (const [env, value, problem] of bad) {
  test(`${env}=${value} is rejected naming the variable`, () => {
    try {
      loadConfig({ [env]: value });
      assert.unreachable('loadConfig accepted it');
    } catch (error) {
      assert.instance(error, RippleError);
      assert.is((error as RippleError).details.field, env);
      assert.match((error as RippleError).message, `${env}=${JSON.stringify(value)} ${problem}`);
    }
  });
}

test('the reference lists every option once, each with its own variable and a description', () => {
  const reference = configReference('/srv');
  assert.is(reference.length, Object.keys(configOptions).length);
  assert.is(new Set(reference.map((r) => r.env)).size, reference.length);
  assert.ok(reference.every((r) => r.doc.length > 10));
  assert.equal(reference.find((r) => r.name === 'httpPort'), {
    env: 'RIPPLE_HTTP_PORT', name: 'httpPort', kind: 'integer', default: '8080', doc: configOptions.httpPort.doc,
  });
});

test.run();
