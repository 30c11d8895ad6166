/**
 * Load generator for the HTTP benchmarks, run as a separate process so the server under test has
 * its own event loop and core: `node --import tsx bench/http-load.ts <base-url> <seconds> <path>...`
 * (HTTP_LOAD_CONNECTIONS concurrent connections, default 16).
 * Requests cycle through the given paths; prints one JSON line with latency percentiles (ms).
 */
import autocannon from 'autocannon';

const [base, seconds, ...paths] = process.argv.slice(2);
if (!base || !seconds || paths.length === 0) {
  console.error('usage: http-load.ts <base-url> <seconds> <path>...');
  process.exit(2);
}
let next = 0;
const result = await autocannon({
  url: base,
  connections: Number(process.env.HTTP_LOAD_CONNECTIONS ?? 16),
  duration: Number(seconds),
  requests: [{ setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length]! }) }],
});
console.log(JSON.stringify({
  requests: result.requests.total,
  rps: Math.round(result.requests.average),
  p50: result.latency.p50,
  p99: result.latency.p99,
  max: result.latency.max,
  errors: result.errors,
  non2xx: result.non2xx,
}));
