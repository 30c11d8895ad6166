/**
 * A Koji hub at protocol level, for tests: an HTTP server that speaks XML-RPC at /kojihub the way a
 * hub does. Answers are written out the way the hub's Python marshaller writes them (one element per
 * line, `<int>`, `<i8>` beyond 32 bits, `<double>` for Koji's float columns such as capacity,
 * task_load and *_ts, `<nil/>` for None, faults as {faultCode, faultString}), with the field names
 * and types a real hub returns for each method. It keeps a small hub state (sessions, builds in a
 * tag, tasks with children and output files, hosts) that tests drive.
 *
 * It fails loudly: a call of a method it does not know, with arguments other than what the method
 * takes (or than Ripple should send), without a valid session where one is needed, or with a
 * replayed callnum, is recorded in `unexpected` and answered with a fault; tests assert
 * `unexpected` is empty after each case.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isDeepStrictEqual } from 'node:util';
import { parseCall, type XmlRpcValue } from '../../src/builds/koji-client.ts';

/** A Python float: marshalled as <double> even when integral (10.0). */
export class Double {
  constructor(readonly value: number) {}
}
type HubValue = null | boolean | number | string | Double | HubValue[] | { [key: string]: HubValue };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Python xmlrpc.client.Marshaller's layout (with Koji's i8 extension and allow_none). */
function marshal(value: HubValue): string {
  if (value === null) return '<value><nil/></value>';
  if (value instanceof Double) return `<value><double>${Number.isInteger(value.value) ? value.value.toFixed(1) : String(value.value)}</double></value>`;
  if (typeof value === 'boolean') return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`stand-in: wrap floats in Double (${value})`);
    return value > 2 ** 31 - 1 || value < -(2 ** 31) ? `<value><i8>${value}</i8></value>` : `<value><int>${value}</int></value>`;
  }
  if (typeof value === 'string') return `<value><string>${esc(value)}</string></value>`;
  if (Array.isArray(value)) return `<value><array><data>\n${value.map((v) => `${marshal(v)}\n`).join('')}</data></array></value>`;
  return `<value><struct>\n${Object.entries(value).map(([k, v]) => `<member>\n<name>${esc(k)}</name>\n${marshal(v)}\n</member>\n`).join('')}</struct></value>`;
}
const response = (value: HubValue) => `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${marshal(value)}\n</param>\n</params>\n</methodResponse>\n`;
const faultBody = (code: number, text: string) => `<?xml version='1.0'?>\n<methodResponse>\n<fault>\n${marshal({ faultCode: code, faultString: text })}\n</fault>\n</methodResponse>\n`;

class HubFault extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export const TASK = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;

export interface HubTask {
  id: number;
  method: 'build' | 'buildArch';
  arch: string;
  state: number;
  parent: number | null;
  owner: number;
  request: HubValue[];
  created: number;
  started: number | null;
  completed: number | null;
  /** Output files by name. */
  output: Map<string, string>;
  /** For FAILED tasks: the fault getTaskResult raises. */
  fault?: { code: number; text: string };
}

export interface HubHost { id: number; name: string; arches: string; capacity: number; task_load: number; ready: boolean; enabled: boolean }

export interface RecordedCall {
  method: string;
  params: XmlRpcValue[];
  path: string;
  session: { id: string; key: string; callnum: string } | null;
}

export interface StandInOptions {
  user: string;
  password: string;
  /** Build target name -> [build tag, destination tag]. */
  targets: Record<string, [string, string]>;
  /** Latest build per package in each tag: tag -> package -> version-release. */
  tagged: Record<string, Record<string, string>>;
  hosts: HubHost[];
  /** First task id; real hubs have been counting for years (beyond 2^31 exercises i8). */
  firstTaskId?: number;
  /** Serve https; sslLogin then takes the user from the verified client certificate's CN. */
  tls?: { key: Buffer; cert: Buffer; ca: Buffer };
}

type Failure = 503 | 'lost-response';

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('T', ' ').replace('Z', '+00:00');
const userId = 7;
const authenticatedMethods = new Set(['build', 'cancelTask', 'getLoggedInUser']);

export class KojiHubStandIn {
  readonly calls: RecordedCall[] = [];
  readonly unexpected: string[] = [];
  readonly tasks = new Map<number, HubTask>();
  hosts: HubHost[];
  /** Package -> storage volume of its builds (Koji's volume_name); 'DEFAULT' when not listed. */
  volumes: Record<string, string> = {};
  /** Every request has its connection reset (the hub is down). */
  down = false;
  readonly #server: Server;
  readonly #options: StandInOptions;
  readonly #failNext = new Map<string, Failure>();
  readonly #sessions = new Map<number, { key: string; callnum: number | null }>();
  #nextTask: number;
  #nextSession = 4100;
  url = '';

  private constructor(options: StandInOptions) {
    this.#options = options;
    this.hosts = options.hosts;
    this.#nextTask = options.firstTaskId ?? 2_147_483_700;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    // Client certificates are asked for but checked only by sslLogin, as on a hub (SSLVerifyClient on /ssllogin).
    this.#server = options.tls ? createTlsServer({ ...options.tls, requestCert: true, rejectUnauthorized: false }, handler) : createServer(handler);
  }

  static async start(options: StandInOptions): Promise<KojiHubStandIn> {
    const hub = new KojiHubStandIn(options);
    await new Promise<void>((resolve) => hub.#server.listen(0, '127.0.0.1', resolve));
    hub.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(hub.#server.address() as AddressInfo).port}/kojihub`;
    return hub;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** The next call of `method` fails: HTTP 503, or done but its answer lost (connection reset). */
  failNext(method: string, failure: Failure): void {
    this.#failNext.set(method, failure);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Ends a build task: its buildArch child gets the mock logs; FAILED carries Koji's BuildError. */
  finishTask(id: number, state: typeof TASK.CLOSED | typeof TASK.FAILED, options: { buildLog?: string; fault?: { code: number; text: string } } = {}): void {
    const task = this.tasks.get(id)!;
    const now = Date.now() / 1000;
    for (const t of [task, ...this.#children(id)]) {
      t.state = state;
      t.started ??= now - 30;
      t.completed = now;
    }
    const child = this.#children(id)[0]!;
    const buildLog = options.buildLog ?? 'Executing(%build): /bin/sh -e /var/tmp/rpm-tmp.XkV9qv\n+ make -j4\nWrote: /builddir/build/RPMS/x.rpm\n';
    child.output.set('build.log', `Mock Version: 5.5\nENTER ['do_with_status'](['bash', '--login', '-c', '/usr/bin/rpmbuild -bb --target x86_64 --nodeps /builddir/build/SPECS/x.spec'])\n${buildLog}Child return code was: ${state === TASK.CLOSED ? 0 : 1}\n`);
    child.output.set('root.log', 'DEBUG util.py:446:  Installed:\nDEBUG util.py:446:    gcc-14.1.1-7.fc40.x86_64\n');
    child.output.set('hw_info.log', 'CPU info:\nArchitecture: x86_64\n');
    child.output.set('state.log', 'Start: build setup for x.src.rpm\nFinish: rpmbuild x.src.rpm\n');
    if (state === TASK.FAILED) {
      const fault = options.fault ?? { code: 1005, text: 'error building package (arch x86_64), mock exited with status 1; see build.log for more information' };
      task.fault = fault;
      child.fault = fault;
    }
  }

  /** Someone cancels the task on the hub (a Koji admin, or `koji cancel`). */
  cancelOnHub(id: number): void {
    for (const t of [this.tasks.get(id)!, ...this.#children(id)]) t.state = TASK.CANCELED;
  }

  #children(id: number): HubTask[] {
    return [...this.tasks.values()].filter((t) => t.parent === id);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://hub');
    let call: { method: string; params: XmlRpcValue[] };
    try {
      if (req.method !== 'POST' || !['/kojihub', '/kojihub/ssllogin'].includes(url.pathname)) throw new Error(`${req.method} ${url.pathname}`);
      if (req.headers['content-type'] !== 'text/xml') throw new Error(`content-type ${req.headers['content-type']}`);
      call = parseCall(Buffer.concat(chunks).toString('utf8'), 'stand-in request');
    } catch (error) {
      this.unexpected.push(`malformed request: ${(error as Error).message}`);
      res.writeHead(400).end();
      return;
    }
    const session = url.searchParams.has('session-id')
      ? { id: url.searchParams.get('session-id')!, key: url.searchParams.get('session-key') ?? '', callnum: url.searchParams.get('callnum') ?? '' }
      : null;
    this.calls.push({ method: call.method, params: call.params, path: url.pathname, session });
    const failure = this.#failNext.get(call.method);
    this.#failNext.delete(call.method);
    if (failure === 503) {
      res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body><h1>Service Unavailable</h1></body></html>');
      return;
    }
    let body: string;
    try {
      const loggedIn = this.#checkSession(req, session, call.method);
      body = response(this.#dispatch(call.method, call.params, loggedIn, url.pathname, req.socket as TLSSocket));
    } catch (error) {
      if (!(error instanceof HubFault)) throw error;
      body = faultBody(error.code, error.message);
    }
    if (failure === 'lost-response') {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/xml' }).end(body);
  }

  /** Koji's session rules: headers and URL agree, key matches, callnum only grows. */
  #checkSession(req: IncomingMessage, session: RecordedCall['session'], method: string): boolean {
    const headerId = req.headers['koji-session-id'];
    if (!session && !headerId) return false;
    if (!session || headerId !== session.id || req.headers['koji-session-key'] !== session.key || req.headers['koji-callnum'] !== session.callnum) {
      this.#unexpected(`${method}: session headers and URL parameters disagree (${JSON.stringify(session)} vs ${headerId})`);
    }
    const known = this.#sessions.get(Number(session!.id));
    if (!known || known.key !== session!.key) throw new HubFault(1002, 'Invalid session or bad credentials');
    const last = known.callnum;
    const callnum = Number(session!.callnum);
    if (last !== null && callnum <= last) this.#unexpected(`${method}: callnum ${callnum} after ${last} (Koji: SequenceError or RetryError)`);
    known.callnum = callnum;
    return true;
  }

  #unexpected(problem: string): never {
    this.unexpected.push(problem);
    throw new HubFault(1000, `stand-in: unexpected call: ${problem}`);
  }

  /** Checks a call's arguments exactly; anything else is an unexpected call. */
  #expectArgs(method: string, params: XmlRpcValue[], check: (p: XmlRpcValue[]) => boolean, what: string): void {
    if (!check(params)) this.#unexpected(`${method}(${JSON.stringify(params)}) does not match ${what}`);
  }

  #dispatch(method: string, params: XmlRpcValue[], loggedIn: boolean, path: string, socket: TLSSocket): HubValue {
    if (authenticatedMethods.has(method) && !loggedIn) throw new HubFault(1004, 'you must be logged in for this operation');
    const kw = (p: XmlRpcValue) => (p && typeof p === 'object' && !Array.isArray(p) && !Buffer.isBuffer(p) && (p as Record<string, XmlRpcValue>).__starstar === true
      ? p as Record<string, XmlRpcValue> : undefined);
    const int = (p: XmlRpcValue) => typeof p === 'number' && Number.isInteger(p);
    switch (method) {
      case 'login': {
        this.#expectArgs(method, params, (p) => p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string', 'login(user, password)');
        if (path !== '/kojihub') this.#unexpected('login posted to ssllogin');
        if (params[0] !== this.#options.user || params[1] !== this.#options.password) throw new HubFault(1002, 'invalid username or password');
        return this.#newSession();
      }
      case 'sslLogin': {
        this.#expectArgs(method, params, (p) => p.length === 0, 'sslLogin()');
        if (path !== '/kojihub/ssllogin') this.#unexpected(`sslLogin posted to ${path}, not /kojihub/ssllogin`);
        if (!this.#options.tls || !socket.authorized) throw new HubFault(1002, `could not verify client: ${socket.authorizationError ?? 'NONE'}`);
        const name = socket.getPeerCertificate().subject?.CN;
        if (name !== this.#options.user) throw new HubFault(1002, `Unknown user: ${name}`);
        return this.#newSession();
      }
      case 'getLoggedInUser':
        this.#expectArgs(method, params, (p) => p.length === 0, 'getLoggedInUser()');
        return { id: userId, name: this.#options.user, status: 0, usertype: 0, krb_principals: [], authtype: 0 };
      case 'getBuildTarget': {
        this.#expectArgs(method, params, (p) => p.length === 1 && typeof p[0] === 'string', 'getBuildTarget(name)');
        const target = this.#options.targets[params[0] as string];
        if (!target) return null;
        return { id: 3, name: params[0] as string, build_tag: 10, build_tag_name: target[0], dest_tag: 11, dest_tag_name: target[1] };
      }
      case 'getLatestBuilds': {
        this.#expectArgs(method, params, (p) => p.length === 2 && typeof p[0] === 'string' && isDeepStrictEqual(Object.keys(kw(p[1]) ?? {}).sort(), ['__starstar', 'package']),
          "getLatestBuilds(tag, package='...')");
        const tag = this.#options.tagged[params[0] as string];
        if (!tag) throw new HubFault(1000, `No such tagInfo: '${params[0]}'`);
        const name = kw(params[1])!.package as string;
        const vr = tag[name];
        if (!vr) return [];
        return [this.#buildInfo(name, vr, params[0] as string)];
      }
      case 'listRPMs': {
        this.#expectArgs(method, params, (p) => p.length === 1 && kw(p[0])?.arches === 'src' && int(kw(p[0])!.buildID as XmlRpcValue)
          && Object.keys(kw(p[0])!).length === 3, "listRPMs(buildID=N, arches='src')");
        const build = this.#buildById(kw(params[0])!.buildID as number);
        if (!build) return [];
        return [{
          id: 900_000 + build.build_id, name: build.name, version: build.version, release: build.release, arch: 'src', epoch: null,
          build_id: build.build_id, buildroot_id: null, buildtime: 1_717_000_000, payloadhash: 'c2f1a0e1b5d04e3f9a7b6c5d4e3f2a1b', size: 48_213,
          external_repo_id: 0, external_repo_name: 'INTERNAL', draft: false, extra: null, metadata_only: false,
        }];
      }
      case 'build': {
        this.#expectArgs(method, params, (p) => p.length === 4 && typeof p[0] === 'string' && typeof p[1] === 'string'
          && isDeepStrictEqual(p[2], { scratch: true }) && int(p[3]), 'build(src, target, {scratch: True}, priority)');
        const [src, target, , priority] = params as [string, string, unknown, number];
        if (!this.#options.targets[target]) throw new HubFault(1000, `No such build target: ${target}`);
        if (!this.#knownSrpm(src)) this.#unexpected(`build of ${src}, which is no SRPM of a build in a tag`);
        if (priority !== 30) this.#unexpected(`build priority ${priority}`);
        const now = Date.now() / 1000;
        const id = this.#nextTask++;
        this.tasks.set(id, { id, method: 'build', arch: 'noarch', state: TASK.OPEN, parent: null, owner: userId, request: [src, target, { scratch: true }], created: now, started: now, completed: null, output: new Map() });
        const child = this.#nextTask++;
        this.tasks.set(child, { id: child, method: 'buildArch', arch: 'x86_64', state: TASK.OPEN, parent: id, owner: userId, request: [src, 10, 'x86_64', true, {}], created: now, started: now, completed: null, output: new Map() });
        return id;
      }
      case 'multiCall': {
        this.#expectArgs(method, params, (p) => p.length === 1 && Array.isArray(p[0]), 'multiCall([calls])');
        return (params[0] as XmlRpcValue[]).map((c) => {
          const entry = c as { methodName?: unknown; params?: unknown };
          if (typeof entry.methodName !== 'string' || !Array.isArray(entry.params) || Object.keys(entry).length !== 2) this.#unexpected(`multiCall entry ${JSON.stringify(c)}`);
          if (entry.methodName !== 'getTaskInfo') this.#unexpected(`multiCall of ${entry.methodName}`);
          try {
            return [this.#dispatch(entry.methodName as string, entry.params as XmlRpcValue[], loggedIn, path, socket)];
          } catch (error) {
            if (!(error instanceof HubFault)) throw error;
            return { faultCode: error.code, faultString: error.message };
          }
        });
      }
      case 'getTaskInfo': {
        this.#expectArgs(method, params, (p) => p.length === 1 && int(p[0]), 'getTaskInfo(task_id)');
        const task = this.tasks.get(params[0] as number);
        return task ? this.#taskInfo(task) : null;
      }
      case 'getTaskResult': {
        this.#expectArgs(method, params, (p) => p.length === 1 && int(p[0]), 'getTaskResult(task_id)');
        const task = this.tasks.get(params[0] as number);
        if (!task) throw new HubFault(1000, `No such task: ${params[0]}`);
        if (task.state === TASK.FAILED) throw new HubFault(task.fault!.code, task.fault!.text);
        if (task.state === TASK.CANCELED) throw new HubFault(1000, `Task ${task.id} is canceled`);
        if (task.state !== TASK.CLOSED) throw new HubFault(1000, `Task ${task.id} is not finished`);
        return { rpms: [], srpms: [], logs: [] };
      }
      case 'getTaskChildren': {
        this.#expectArgs(method, params, (p) => p.length === 1 && int(p[0]), 'getTaskChildren(task_id)');
        return this.#children(params[0] as number).map((t) => this.#taskInfo(t));
      }
      case 'listTaskOutput': {
        this.#expectArgs(method, params, (p) => p.length === 1 && int(p[0]), 'listTaskOutput(task_id)');
        return [...(this.tasks.get(params[0] as number)?.output.keys() ?? [])];
      }
      case 'downloadTaskOutput': {
        this.#expectArgs(method, params, (p) => p.length === 4 && int(p[0]) && typeof p[1] === 'string' && int(p[2]) && int(p[3]) && (p[3] as number) > 0,
          'downloadTaskOutput(task_id, fileName, offset, size)');
        const [id, name, offset, size] = params as [number, string, number, number];
        const content = this.tasks.get(id)?.output.get(name);
        if (content === undefined) throw new HubFault(1000, `no file "${name}" output by task ${id}`);
        return Buffer.from(content).subarray(offset, offset + size).toString('base64');
      }
      case 'cancelTask': {
        this.#expectArgs(method, params, (p) => p.length === 1 && int(p[0]), 'cancelTask(task_id)');
        const task = this.tasks.get(params[0] as number);
        if (!task) throw new HubFault(1000, `No such task id: ${params[0]}`);
        if (task.owner !== userId) throw new HubFault(1004, 'Cannot cancel task, not owner');
        if (task.state === TASK.FREE || task.state === TASK.OPEN || task.state === TASK.ASSIGNED) this.cancelOnHub(task.id);
        return null;
      }
      case 'getChannel': {
        this.#expectArgs(method, params, (p) => isDeepStrictEqual(p, ['default']), "getChannel('default')");
        return { id: 1, name: 'default', description: null, enabled: true, comment: null };
      }
      case 'listHosts': {
        const opts = kw(params[0]);
        this.#expectArgs(method, params, (p) => p.length === 1 && !!opts && Array.isArray(opts.arches) && opts.channelID === 1 && opts.enabled === true
          && Object.keys(opts).length === 4, 'listHosts(arches=[...], channelID=1, enabled=True)');
        const arches = opts!.arches as string[];
        return this.hosts.filter((h) => h.enabled && h.arches.split(' ').some((a) => arches.includes(a))).map((h) => ({
          id: h.id, name: h.name, user_id: 100 + h.id, arches: h.arches, capacity: new Double(h.capacity), task_load: new Double(h.task_load),
          ready: h.ready, enabled: h.enabled, description: null, comment: null,
        }));
      }
      case 'listTasks': {
        this.#expectArgs(method, params, (p) => p.length === 2 && isDeepStrictEqual(Object.keys(p[0] as object).sort(), ['createdAfter', 'decode', 'method', 'owner'])
          && (p[0] as Record<string, unknown>).owner === userId && (p[0] as Record<string, unknown>).method === 'build' && (p[0] as Record<string, unknown>).decode === true
          && typeof (p[0] as Record<string, unknown>).createdAfter === 'number' && isDeepStrictEqual(p[1], { order: 'id' }),
        "listTasks({owner, method: 'build', createdAfter, decode: True}, {order: 'id'})");
        const after = (params[0] as { createdAfter: number }).createdAfter;
        return [...this.tasks.values()].filter((t) => t.method === 'build' && t.owner === userId && t.created > after)
          .sort((a, b) => a.id - b.id).map((t) => ({ ...(this.#taskInfo(t) as Record<string, HubValue>), request: t.request }));
      }
      default:
        return this.#unexpected(`unknown method ${method}`);
    }
  }

  #newSession(): HubValue {
    const id = this.#nextSession++;
    const key = `${userId}-Zq3hT8kWmR2xVb9LpYc`;
    this.#sessions.set(id, { key, callnum: null });
    return { 'session-id': id, 'session-key': key, 'header-auth': true };
  }

  #taskInfo(t: HubTask): HubValue {
    const ts = (s: number | null) => (s === null ? null : new Double(s));
    return {
      id: t.id, state: t.state, create_time: iso(t.created), create_ts: ts(t.created), start_time: t.started === null ? null : iso(t.started), start_ts: ts(t.started),
      completion_time: t.completed === null ? null : iso(t.completed), completion_ts: ts(t.completed), channel_id: 1, host_id: t.method === 'buildArch' ? 2 : null,
      parent: t.parent, label: t.method === 'buildArch' ? 'x86_64' : null, waiting: t.method === 'build' ? true : null, awaited: t.parent === null ? null : false,
      owner: t.owner, method: t.method, arch: t.arch, priority: 30, weight: new Double(t.method === 'build' ? 0.2 : 1.5),
    };
  }

  #builds(): { build_id: number; name: string; version: string; release: string; tag: string }[] {
    let id = 2_400_000;
    return Object.entries(this.#options.tagged).flatMap(([tag, packages]) => Object.entries(packages).map(([name, vr]) => {
      const [version, release] = vr.split('-') as [string, string];
      return { build_id: id++, name, version, release, tag };
    }));
  }

  #buildById(id: number) {
    return this.#builds().find((b) => b.build_id === id);
  }

  #buildInfo(name: string, vr: string, tag: string): HubValue {
    const b = this.#builds().find((x) => x.name === name && x.tag === tag && `${x.version}-${x.release}` === vr)!;
    return {
      build_id: b.build_id, id: b.build_id, name, version: b.version, release: b.release, nvr: `${name}-${vr}`, epoch: null,
      package_id: 5000 + b.build_id % 1000, package_name: name, owner_id: 12, owner_name: 'packager', state: 1, tag_id: 11, tag_name: tag,
      task_id: 117_000_000 + b.build_id % 1000, volume_id: this.volumes[name] ? 1 : 0, volume_name: this.volumes[name] ?? 'DEFAULT', creation_event_id: 99_000_000, draft: false,
      creation_time: '2024-05-29 16:02:11.384812+00:00', completion_time: '2024-05-29 16:09:40.102145+00:00', source: null,
    };
  }

  #knownSrpm(src: string): boolean {
    // Koji's pathinfo: <topdir>[/vol/<volume>]/packages/<name>/<version>/<release>/src/<nvr>.src.rpm.
    return this.#builds().some((b) => src === `../${this.volumes[b.name] ? `vol/${this.volumes[b.name]}/` : ''}packages/${b.name}/${b.version}/${b.release}/src/${b.name}-${b.version}-${b.release}.src.rpm`);
  }
}
