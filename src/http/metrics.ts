/**
 * Prometheus text exposition (format 0.0.4) for `GET /metrics`, and `GET /healthz`.
 * HTTP counters live in this process; domain gauges are read from the database per scrape
 * (a handful of grouped counts, cheap even with 34k packages per collection).
 */
import { sql } from 'kysely';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Db } from '../db/database.ts';
import { latestEventId } from '../events/event-log.ts';
import { s, type ApiRoutes, type AppEnv } from './api-routes.ts';

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label values escaped as the exposition format requires. */
const label = (value: string | number) => String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export class HttpMetrics {
  readonly #requests = new Map<string, { method: string; route: string; status: number; count: number }>();
  readonly #latency = new Map<string, { method: string; route: string; buckets: number[]; sum: number; count: number }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    const request = this.#requests.get(key) ?? { method, route, status, count: 0 };
    request.count++;
    this.#requests.set(key, request);
    const latencyKey = `${method} ${route}`;
    const latency = this.#latency.get(latencyKey) ?? { method, route, buckets: latencyBuckets.map(() => 0), sum: 0, count: 0 };
    latencyBuckets.forEach((bound, i) => { if (seconds <= bound) latency.buckets[i]!++; });
    latency.sum += seconds;
    latency.count++;
    this.#latency.set(latencyKey, latency);
  }

  /** Records every request under its route pattern (not its path, which would explode the label set). */
  middleware(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const started = performance.now();
      try {
        await next();
      } finally {
        this.observe(c.req.method, routeLabel(c), c.res.status, (performance.now() - started) / 1000);
      }
    };
  }

  render(): string[] {
    const lines = [
      '# HELP ripple_http_requests_total HTTP requests by method, route pattern and status.',
      '# TYPE ripple_http_requests_total counter',
    ];
    for (const r of this.#requests.values()) {
      lines.push(`ripple_http_requests_total{method="${label(r.method)}",route="${label(r.route)}",status="${r.status}"} ${r.count}`);
    }
    lines.push('# HELP ripple_http_request_duration_seconds HTTP request latency by method and route pattern.');
    lines.push('# TYPE ripple_http_request_duration_seconds histogram');
    for (const l of this.#latency.values()) {
      const labels = `method="${label(l.method)}",route="${label(l.route)}"`;
      latencyBuckets.forEach((bound, i) => lines.push(`ripple_http_request_duration_seconds_bucket{${labels},le="${bound}"} ${l.buckets[i]}`));
      lines.push(`ripple_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${l.count}`);
      lines.push(`ripple_http_request_duration_seconds_sum{${labels}} ${l.sum}`);
      lines.push(`ripple_http_request_duration_seconds_count{${labels}} ${l.count}`);
    }
    return lines;
  }
}

function routeLabel(c: Context): string {
  const route = matchedRoutes(c).filter((r) => r.method !== 'ALL').at(-1);
  return route ? route.path : 'unmatched';
}

async function domainMetrics(db: Db): Promise<string[]> {
  const packages = await db
    .selectFrom('packages')
    .innerJoin('collections', 'collections.id', 'packages.collection_id')
    .select(['collections.name as collection', 'packages.state'])
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .groupBy(['collections.name', 'packages.state'])
    .orderBy('collections.name')
    .orderBy('packages.state')
    .execute();
  const snapshots = await db
    .selectFrom('snapshots')
    .select('state')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .groupBy('state')
    .orderBy('state')
    .execute();
  const collections = await db.selectFrom('collections').select(['name', 'state']).orderBy('name').execute();
  return [
    '# HELP ripple_packages Packages by collection and state.',
    '# TYPE ripple_packages gauge',
    ...packages.map((p) => `ripple_packages{collection="${label(p.collection)}",state="${p.state}"} ${Number(p.count)}`),
    '# HELP ripple_snapshots Snapshots by state.',
    '# TYPE ripple_snapshots gauge',
    ...snapshots.map((r) => `ripple_snapshots{state="${r.state}"} ${Number(r.count)}`),
    '# HELP ripple_collection_up 1 when the collection state is ok, else 0.',
    '# TYPE ripple_collection_up gauge',
    ...collections.map((r) => `ripple_collection_up{collection="${label(r.name)}",state="${r.state}"} ${r.state === 'ok' ? 1 : 0}`),
    '# HELP ripple_latest_event_id Id of the newest event in the event log.',
    '# TYPE ripple_latest_event_id gauge',
    `ripple_latest_event_id ${await latestEventId(db)}`,
  ];
}

export function registerObservabilityRoutes(routes: ApiRoutes, metrics: HttpMetrics): void {
  routes.add({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness and database reachability (503 when the database does not answer)',
    tag: 'operations',
    response: s.object({ status: s.enum(['ok', 'unavailable']), database: s.enum(['ok', 'unavailable']) }),
    async handler(c) {
      try {
        await sql`select 1`.execute(c.var.db);
        return c.json({ status: 'ok', database: 'ok' });
      } catch {
        return c.json({ status: 'unavailable', database: 'unavailable' }, 503);
      }
    },
  });
  routes.add({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: packages per collection and state, snapshots, latest event id, HTTP requests and latency',
    tag: 'operations',
    response: s.string({ description: 'text/plain; version=0.0.4' }),
    async handler(c) {
      const lines = [...(await domainMetrics(c.var.db)), ...metrics.render()];
      return c.body(lines.join('\n') + '\n', 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    },
  });
}
