/**
 * Websocket feed benchmark: one instance (this process: hub + http server + /ws), N clients in a
 * child process (so the server's memory and CPU are its own), events appended at a fixed rate.
 *
 *   node --import tsx bench/ws.ts [--clients 5000] [--rate 1000] [--seconds 10] [--storm-seconds 5]
 *                                 [--packages 1000] [--firehose 10]
 *
 * Each client subscribes to one package (`pkg-<i mod packages>`); `--firehose` more clients
 * subscribe to every event. Events name a random package. Phases: connect and measure memory per
 * idle client; steady load (delivery latency = receipt time - append time, both on this host);
 * reconnect storm: every client drops its socket at once and resumes from its last id while the
 * load continues; then each client's ids are checked against the log (no loss, no duplicate).
 * With DATABASE_URL (a PostgreSQL server) it creates a scratch database there and drops it at the
 * end; otherwise it uses in-memory PGlite, which runs in the server's own event loop and so competes
 * with the websocket work (use PostgreSQL for figures representative of a deployment).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { WebSocket } from 'ws';
import { loadConfig } from '../src/config.ts';
import { openDatabase, withTransaction } from '../src/db/database.ts';
import { startEventService } from '../src/events/event-service.ts';
import { appendEvents, readEvents } from '../src/events/event-log.ts';
import { createApp } from '../src/http/app.ts';
import { startServer } from '../src/http/server.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    'storm-seconds': { type: 'string', default: '5' },
    packages: { type: 'string', default: '1000' },
    firehose: { type: 'string', default: '10' },
    'client-process': { type: 'string' },
  },
});
const n = (name: keyof typeof values) => Number(values[name]);

interface ClientReport { pkg: string | null; firstCursor: number; count: number; ordered: boolean; lastId: number }
type ToChild = { op: 'connect'; url: string; clients: number; packages: number; firehose: number } | { op: 'storm' } | { op: 'report' } | { op: 'phase'; phase: 'steady' | 'storm' };
type FromChild = { op: 'connected'; ms: number } | { op: 'stormed'; ms: number } | { op: 'report'; clients: ClientReport[]; latencies: Record<string, number[]>; closes: number; retries: number };

/** The client side, in the child process. */
function runClients(): void {
  let url = '';
  let phase = 'connect';
  const latencies: Record<string, number[]> = { steady: [], storm: [] };
  let closes = 0;
  let retries = 0;
  const clients: (ClientReport & { ws?: WebSocket })[] = [];
  const send = (message: FromChild) => process.send!(message);

  /** Connects and subscribes; a refused or reset connection (a full accept queue) is retried, as real clients do. */
  const open = async (client: ClientReport & { ws?: WebSocket }, resumeFrom?: number): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await openOnce(client, resumeFrom);
      } catch (error) {
        retries++;
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt * Math.random()));
      }
    }
  };
  const openOnce = (client: ClientReport & { ws?: WebSocket }, resumeFrom?: number) => new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    client.ws = ws;
    ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', id: 's', filter: client.pkg ? { package: client.pkg } : {}, ...(resumeFrom === undefined ? {} : { resume_from: resumeFrom }) })));
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.op === 'subscribed') {
        if (client.firstCursor < 0) client.firstCursor = message.cursor;
        resolve();
      } else if (message.op === 'event') {
        const id = message.event.id as number;
        if (id <= client.lastId) client.ordered = false;
        client.lastId = id;
        client.count++;
        (latencies[phase] ??= []).push(Date.now() - (message.event.payload.sent_at as number));
      } else if (message.op === 'error') reject(new Error(message.message));
    });
    ws.on('close', (code) => { if (code === 4008) closes++; });
    ws.on('error', reject);
  });

  async function inBatches(work: (client: ClientReport & { ws?: WebSocket }) => Promise<void>): Promise<number> {
    const started = Date.now();
    for (let i = 0; i < clients.length; i += 250) await Promise.all(clients.slice(i, i + 250).map(work));
    return Date.now() - started;
  }

  process.on('message', async (message: ToChild) => {
    if (message.op === 'connect') {
      url = message.url;
      for (let i = 0; i < message.clients + message.firehose; i++) {
        clients.push({ pkg: i < message.clients ? `pkg-${i % message.packages}` : null, firstCursor: -1, count: 0, ordered: true, lastId: 0 });
      }
      send({ op: 'connected', ms: await inBatches((c) => open(c)) });
    } else if (message.op === 'phase') {
      phase = message.phase;
    } else if (message.op === 'storm') {
      // Every socket drops at once, then all resume at once from their last id.
      for (const c of clients) c.ws!.terminate();
      const started = Date.now();
      await Promise.all(clients.map((c) => open(c, c.lastId || c.firstCursor)));
      send({ op: 'stormed', ms: Date.now() - started });
    } else if (message.op === 'report') {
      for (const c of clients) c.ws?.terminate();
      // Exit only once the (large) report has been handed to the parent.
      process.send!({ op: 'report', clients: clients.map(({ ws: _ws, ...r }) => r), latencies, closes, retries } satisfies FromChild, () => process.exit(0));
    }
  });
}

const percentile = (sorted: number[], p: number) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

async function main(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const memory = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const config = loadConfig({ ...process.env, RIPPLE_HTTP_PORT: '0', RIPPLE_LOG_LEVEL: 'warn', RIPPLE_WS_HEARTBEAT_SECONDS: '30', RIPPLE_EVENT_POLL_MS: '2000' });
  const scratch = `ripple_bench_ws_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  let url: string | undefined;
  if (config.databaseUrl) {
    await admin(`create database ${scratch}`);
    const parsed = new URL(config.databaseUrl);
    parsed.pathname = `/${scratch}`;
    url = parsed.toString();
  }
  const database = await openDatabase(url ? { url } : { inMemory: true });
  const events = await startEventService(database, config);
  const server = await startServer({ app: createApp({ db: database.db, config }), config, onServer: (s) => events.attach(s) });

  const child: ChildProcess = fork(process.argv[1]!, ['--client-process', '1'], { execArgv: process.execArgv });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') {
      console.error(`client process exited with ${code ?? signal}`);
      process.exit(1);
    }
  });
  const next = (op: FromChild['op']) => new Promise<FromChild>((resolve) => {
    const on = (m: FromChild) => { if (m.op === op) { child.off('message', on); resolve(m); } };
    child.on('message', on);
  });
  const tell = (m: ToChild) => child.send(m);

  const clientCount = n('clients');
  const firehose = n('firehose');
  const packages = n('packages');
  // Baseline once start-up garbage (migrations, route tables) has been collected.
  memory();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = memory();
  const progress = (text: string) => process.stderr.write(`[bench] ${text}\n`);
  progress(`connecting ${clientCount + firehose} clients`);
  tell({ op: 'connect', url: `${server.url.replace(/^http/, 'ws')}/ws`, clients: clientCount, packages, firehose });
  const connected = await next('connected') as { ms: number };
  progress(`connected in ${connected.ms} ms; steady load`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idle = memory();

  // Load: batches every 10 ms, each one transaction, as the service's writers do.
  const rate = n('rate');
  let appended = 0;
  let producing = true;
  const produce = (async () => {
    const started = Date.now();
    while (producing) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate) - appended;
      if (due > 0) {
        const batch = Array.from({ length: due }, () => {
          const pkg = `pkg-${Math.floor(Math.random() * packages)}`;
          return { type: 'package.state.change', packageName: pkg, payload: { collection: 'bench', name: pkg, old: 'ok', new: 'failing', sent_at: Date.now() } };
        });
        await withTransaction(database.db, (trx) => appendEvents(trx, batch));
        appended += due;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  tell({ op: 'phase', phase: 'steady' });
  const steadyStart = Date.now();
  await new Promise((resolve) => setTimeout(resolve, n('seconds') * 1000));
  const steadyAppended = appended;
  const steadySeconds = (Date.now() - steadyStart) / 1000;
  tell({ op: 'phase', phase: 'storm' });
  progress(`steady done (${appended} events); reconnect storm`);
  tell({ op: 'storm' });
  const stormed = await next('stormed') as { ms: number };
  progress(`resubscribed in ${stormed.ms} ms`);
  await new Promise((resolve) => setTimeout(resolve, n('storm-seconds') * 1000));
  producing = false;
  await produce;
  await new Promise((resolve) => setTimeout(resolve, 3000));
  progress('collecting the report');
  tell({ op: 'report' });
  const report = await next('report') as Extract<FromChild, { op: 'report' }>;

  // Exactness: each client received precisely the log's events for its filter after its first cursor.
  const log = await readEvents(database.db, { afterId: 0, limit: 10_000_000 });
  const lastId = log.at(-1)?.id ?? 0;
  const idsByPackage = new Map<string, number[]>();
  for (const e of log) if (e.packageName) idsByPackage.set(e.packageName, [...(idsByPackage.get(e.packageName) ?? []), e.id]);
  const expectedCount = (c: ClientReport) => (c.pkg === null ? log.map((e) => e.id) : idsByPackage.get(c.pkg) ?? []).filter((id) => id > c.firstCursor).length;
  let lost = 0;
  let inexact = 0;
  let disordered = 0;
  for (const c of report.clients) {
    const expected = expectedCount(c);
    if (c.count !== expected) {
      inexact++;
      lost += Math.abs(expected - c.count);
    }
    if (!c.ordered) disordered++;
  }
  const steady = report.latencies.steady!.sort((a, b) => a - b);
  const storm = report.latencies.storm!.sort((a, b) => a - b);
  const total = report.clients.length;
  const rows: [string, string][] = [
    ['database', database.kind],
    ['clients (per-package + firehose)', `${clientCount} + ${firehose}`],
    ['connect + subscribe all', `${connected.ms} ms`],
    ['memory per idle client (heap + external)', `${((idle - before) / total / 1024).toFixed(1)} KiB`],
    ['events appended (steady)', `${steadyAppended} in ${steadySeconds.toFixed(1)} s = ${(steadyAppended / steadySeconds).toFixed(0)}/s`],
    ['deliveries (steady)', `${steady.length} = ${(steady.length / steadySeconds).toFixed(0)}/s`],
    ['latency steady p50 / p99 / max', `${percentile(steady, 50)} / ${percentile(steady, 99)} / ${steady.at(-1)} ms`],
    ['reconnect storm: all resubscribed in', `${stormed.ms} ms`],
    ['latency during storm p50 / p99 / max', `${percentile(storm, 50)} / ${percentile(storm, 99)} / ${storm.at(-1)} ms`],
    ['events in log / last id', `${log.length} / ${lastId}`],
    ['clients with lost or extra events', `${inexact} (${lost} events)`],
    ['clients receiving out of order', String(disordered)],
    ['slow-consumer closes (4008)', String(report.closes)],
    ['connection attempts retried (accept queue full)', String(report.retries)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nwebsocket feed benchmark, ${new Date().toISOString().slice(0, 10)}\n`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  await events.stop();
  await server.close();
  await database.close();
  if (url) await admin(`drop database ${scratch} with (force)`);
  child.kill();
}

if (values['client-process']) runClients();
else await main();
