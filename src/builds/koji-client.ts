/**
 * A Koji hub client: XML-RPC written out by hand (the subset Koji speaks: i4/int/i8, boolean,
 * string, double, dateTime.iso8601, base64, struct, array and Koji's `<nil/>`) with a strict
 * parser whose errors say what was wrong and where, and an authenticated session.
 *
 * Koji conventions followed here:
 * - keyword arguments travel as a last struct carrying `__starstar: true` (koji.encode_args);
 * - a session is `{session-id, session-key}` from `login(user, password)` or, over HTTPS with a
 *   client certificate, `sslLogin()` posted to `<hub>/ssllogin`; every later call carries it as
 *   `Koji-Session-Id`/`Koji-Session-Key`/`Koji-Callnum` headers (hubs since 1.30) and as the older `session-id`,
 *   `session-key` URL parameters, with a `callnum` that increases per call (the hub refuses
 *   a replayed callnum with SequenceError/RetryError);
 * - faults carry Koji's codes (GenericError 1000, AuthError 1002, ActionNotAllowed 1004,
 *   BuildError 1005, AuthExpired 1007, ...); they become `KojiFault`.
 * Anything that says nothing about the request (connection refused, timeout, HTTP 5xx, a body
 * that is not XML-RPC) is an `InfrastructureError`: the caller retries, never blames a package.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { InfrastructureError } from './build-executors.ts';

// ---------------------------------------------------------------------------------------------
// Values

/** Keyword arguments of a Koji call (`getLatestBuilds(tag, package=...)`). */
export class KojiKwargs {
  constructor(readonly values: Record<string, XmlRpcValue>) {}
}

export type XmlRpcValue = null | boolean | number | string | Buffer | XmlRpcValue[] | { [key: string]: XmlRpcValue } | KojiKwargs;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function encodeValue(value: XmlRpcValue, path: string): string {
  if (value === null) return '<value><nil/></value>';
  if (typeof value === 'boolean') return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path}: XML-RPC cannot carry ${value}`);
    if (!Number.isInteger(value)) return `<value><double>${value}</double></value>`;
    // Koji's marshaller writes integers beyond 32 bits as i8; so do we.
    return Math.abs(value) < 2 ** 31 ? `<value><int>${value}</int></value>` : `<value><i8>${value}</i8></value>`;
  }
  if (typeof value === 'string') return `<value><string>${escapeXml(value)}</string></value>`;
  if (Buffer.isBuffer(value)) return `<value><base64>${value.toString('base64')}</base64></value>`;
  if (Array.isArray(value)) return `<value><array><data>${value.map((v, i) => encodeValue(v, `${path}[${i}]`)).join('')}</data></array></value>`;
  const entries = value instanceof KojiKwargs ? { ...value.values, __starstar: true } : value;
  const members = Object.entries(entries).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<member><name>${escapeXml(k)}</name>${encodeValue(v as XmlRpcValue, `${path}.${k}`)}</member>`);
  return `<value><struct>${members.join('')}</struct></value>`;
}

export function encodeCall(method: string, params: readonly XmlRpcValue[]): string {
  const encoded = params.map((p, i) => `<param>${encodeValue(p, `${method} param ${i + 1}`)}</param>`).join('');
  return `<?xml version="1.0"?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params>${encoded}</params></methodCall>\n`;
}

// ---------------------------------------------------------------------------------------------
// A strict parser for the XML XML-RPC uses: elements, text, the five entities and character
// references. No attributes are expected; comments, CDATA and DOCTYPE are refused.

export interface XmlElement { name: string; children: XmlElement[]; text: string; offset: number }

export class XmlRpcSyntaxError extends Error {
  override name = 'XmlRpcSyntaxError';
}

const entities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(raw: string, offset: number, what: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (match, ref: string | undefined) => {
    if (ref === undefined) throw new XmlRpcSyntaxError(`${what}: bare '&' at offset ${offset}`);
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const known = entities[ref];
    if (known === undefined) throw new XmlRpcSyntaxError(`${what}: unknown entity ${match} at offset ${offset}`);
    return known;
  });
}

export function parseXml(source: string, what: string): XmlElement {
  let i = 0;
  const fail = (problem: string): never => {
    throw new XmlRpcSyntaxError(`${what}: ${problem} at offset ${i}`);
  };
  const skipSpace = () => {
    while (i < source.length && /\s/.test(source[i]!)) i++;
  };
  skipSpace();
  if (source.startsWith('<?xml', i)) {
    const end = source.indexOf('?>', i);
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const text = source.slice(i, lt < 0 ? source.length : lt);
    if (text.length) {
      if (stack.length === 0) {
        if (text.trim() !== '') fail('text outside the root element');
      } else {
        stack[stack.length - 1]!.text += decodeText(text, i, what);
      }
    }
    if (lt < 0) break;
    i = lt;
    if (source.startsWith('<!', i) || source.startsWith('<?', i)) fail('comments, CDATA, DOCTYPE and processing instructions are not XML-RPC');
    const gt = source.indexOf('>', i);
    if (gt < 0) fail('unterminated tag');
    const tag = source.slice(i + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open) fail(`closing </${name}> without an open element`);
      if (open!.name !== name) fail(`</${name}> closes <${open!.name}>`);
    } else {
      const selfClosing = tag.endsWith('/');
      const name = (selfClosing ? tag.slice(0, -1) : tag).trim();
      if (!/^[A-Za-z_][\w.:-]*$/.test(name)) fail(`unexpected tag <${tag}> (XML-RPC elements have no attributes)`);
      const element: XmlElement = { name, children: [], text: '', offset: i };
      if (stack.length) stack[stack.length - 1]!.children.push(element);
      else if (root) fail(`second root element <${name}>`);
      else root = element;
      if (!selfClosing) stack.push(element);
    }
    i = gt + 1;
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) fail('no root element');
  return root!;
}

function only(element: XmlElement, name: string, what: string): XmlElement {
  if (element.children.length !== 1 || element.children[0]!.name !== name) {
    const found = element.children.map((c) => `<${c.name}>`).join(', ') || 'nothing';
    throw new XmlRpcSyntaxError(`${what}: <${element.name}> at offset ${element.offset} must hold exactly one <${name}>, found ${found}`);
  }
  return element.children[0]!;
}

function childrenNamed(element: XmlElement, name: string, what: string): XmlElement[] {
  const wrong = element.children.find((c) => c.name !== name);
  if (wrong) throw new XmlRpcSyntaxError(`${what}: <${wrong.name}> at offset ${wrong.offset} inside <${element.name}> (expected only <${name}>)`);
  return element.children;
}

export function decodeValue(value: XmlElement, what: string): XmlRpcValue {
  if (value.name !== 'value') throw new XmlRpcSyntaxError(`${what}: expected <value>, found <${value.name}> at offset ${value.offset}`);
  if (value.children.length === 0) return value.text; // an untyped value is a string
  const typed = only(value, value.children[0]!.name, what);
  const at = `<${typed.name}> at offset ${typed.offset}`;
  const scalar = () => {
    if (typed.children.length) throw new XmlRpcSyntaxError(`${what}: ${at} must hold text only`);
    return typed.text;
  };
  switch (typed.name) {
    case 'int': case 'i4': case 'i8': {
      const text = scalar().trim();
      if (!/^[+-]?\d+$/.test(text)) throw new XmlRpcSyntaxError(`${what}: ${at} is not an integer: '${text}'`);
      const n = Number(text);
      if (!Number.isSafeInteger(n)) throw new XmlRpcSyntaxError(`${what}: ${at} ${text} is beyond 2^53`);
      return n;
    }
    case 'boolean': {
      const text = scalar().trim();
      if (text !== '0' && text !== '1') throw new XmlRpcSyntaxError(`${what}: ${at} must be 0 or 1, not '${text}'`);
      return text === '1';
    }
    case 'double': {
      const text = scalar().trim();
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw new XmlRpcSyntaxError(`${what}: ${at} is not a number: '${text}'`);
      return n;
    }
    case 'string': case 'dateTime.iso8601':
      return scalar();
    case 'base64': {
      const text = scalar().replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new XmlRpcSyntaxError(`${what}: ${at} is not base64`);
      return Buffer.from(text, 'base64');
    }
    case 'nil':
      if (typed.children.length || typed.text.trim()) throw new XmlRpcSyntaxError(`${what}: ${at} must be empty`);
      return null;
    case 'array':
      return childrenNamed(only(typed, 'data', what), 'value', what).map((v) => decodeValue(v, what));
    case 'struct': {
      const out: Record<string, XmlRpcValue> = {};
      for (const member of childrenNamed(typed, 'member', what)) {
        const names = member.children.map((c) => c.name).join(',');
        if (names !== 'name,value') throw new XmlRpcSyntaxError(`${what}: <member> at offset ${member.offset} must hold <name> then <value>, found ${names || 'nothing'}`);
        // defineProperty: a member called __proto__ stays a plain key.
        Object.defineProperty(out, member.children[0]!.text, { value: decodeValue(member.children[1]!, what), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new XmlRpcSyntaxError(`${what}: unknown XML-RPC type ${at}`);
  }
}

export type ParsedResponse = { ok: true; value: XmlRpcValue } | { ok: false; faultCode: number; faultString: string };

export function parseResponse(body: string, what: string): ParsedResponse {
  const root = parseXml(body, what);
  if (root.name !== 'methodResponse') throw new XmlRpcSyntaxError(`${what}: root element is <${root.name}>, expected <methodResponse>`);
  const inner = root.children.length === 1 ? root.children[0]! : undefined;
  if (inner?.name === 'fault') {
    const fault = decodeValue(only(inner, 'value', what), what) as Record<string, XmlRpcValue>;
    if (typeof fault?.faultCode !== 'number' || typeof fault.faultString !== 'string') {
      throw new XmlRpcSyntaxError(`${what}: <fault> must be a struct with an int faultCode and a string faultString`);
    }
    return { ok: false, faultCode: fault.faultCode, faultString: fault.faultString };
  }
  if (inner?.name !== 'params') throw new XmlRpcSyntaxError(`${what}: <methodResponse> must hold <params> or <fault>`);
  return { ok: true, value: decodeValue(only(only(inner, 'param', what), 'value', what), what) };
}

export function parseCall(body: string, what: string): { method: string; params: XmlRpcValue[] } {
  const root = parseXml(body, what);
  if (root.name !== 'methodCall') throw new XmlRpcSyntaxError(`${what}: root element is <${root.name}>, expected <methodCall>`);
  const [name, params] = root.children;
  if (name?.name !== 'methodName' || (params && params.name !== 'params') || root.children.length > 2) {
    throw new XmlRpcSyntaxError(`${what}: <methodCall> must hold <methodName> and <params>`);
  }
  return { method: name.text.trim(), params: params ? childrenNamed(params, 'param', what).map((p) => decodeValue(only(p, 'value', what), what)) : [] };
}

export function encodeResponse(result: ParsedResponse): string {
  const body = result.ok
    ? `<params><param>${encodeValue(result.value, 'result')}</param></params>`
    : `<fault>${encodeValue({ faultCode: result.faultCode, faultString: result.faultString }, 'fault')}</fault>`;
  return `<?xml version='1.0'?>\n<methodResponse>${body}</methodResponse>\n`;
}

// ---------------------------------------------------------------------------------------------
// Koji

/** Koji's fault codes (koji/__init__.py exception classes). */
export const KojiFaultCode = {
  GenericError: 1000, LockError: 1001, AuthError: 1002, TagError: 1003, ActionNotAllowed: 1004, BuildError: 1005,
  AuthLockError: 1006, AuthExpired: 1007, SequenceError: 1008, RetryError: 1009, PreBuildError: 1010, PostBuildError: 1011,
  BuildrootError: 1012, FunctionDeprecated: 1013, ServerOffline: 1014,
} as const;

export class KojiFault extends Error {
  override name = 'KojiFault';
  constructor(readonly method: string, readonly faultCode: number, readonly faultString: string) {
    super(`Koji hub fault ${faultCode} in ${method}: ${faultString}`);
  }

  /** Koji's own error classes; any other code is an unexpected exception inside Koji. */
  get isKojiError(): boolean {
    return this.faultCode >= 1000 && this.faultCode < 1100;
  }
}

/** Koji task states (koji.TASK_STATES). */
export const TaskState = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;
export const taskStateName = (state: number) => Object.entries(TaskState).find(([, v]) => v === state)?.[0] ?? `state ${state}`;

export interface KojiTaskInfo { id: number; state: number; method: string; arch: string; parent: number | null; owner: number; label?: string | null; request?: XmlRpcValue[] }
export interface KojiHost { id: number; name: string; arches: string; capacity: number; task_load: number; ready: boolean; enabled: boolean }
export interface KojiBuildInfo {
  build_id: number; id?: number; name: string; version: string; release: string; nvr: string; epoch: number | null;
  /** The storage volume of the build's files (hubs before volumes existed send none: the default). */
  volume_name?: string;
}
export interface KojiRpm { id: number; name: string; version: string; release: string; arch: string; epoch: number | null; build_id: number }
export interface KojiBuildTarget { id: number; name: string; build_tag: number; build_tag_name: string; dest_tag: number; dest_tag_name: string }

export interface KojiClientOptions {
  hubUrl: string;
  /** Password login. */
  user?: string;
  password?: string;
  /** Client-certificate login (PEM files); the key may be inside the certificate file. */
  clientCert?: string;
  clientKey?: string;
  /** CA bundle the hub's certificate is checked against (default: the system's). */
  serverCa?: string;
  timeoutSeconds: number;
}

interface Session { id: number; key: string; callnum: number }

export class KojiClient {
  readonly #options: KojiClientOptions;
  readonly #tls: https.AgentOptions;
  #session: Session | undefined;
  #userId: number | undefined;

  constructor(options: KojiClientOptions) {
    this.#options = options;
    new URL(options.hubUrl); // fails early on a malformed URL
    this.#tls = {
      ...(options.clientCert ? { cert: readFileSync(options.clientCert) } : {}),
      ...(options.clientKey ? { key: readFileSync(options.clientKey) } : options.clientCert ? { key: readFileSync(options.clientCert) } : {}),
      ...(options.serverCa ? { ca: readFileSync(options.serverCa) } : {}),
    };
  }

  get loginMethod(): 'ssl' | 'password' | 'none' {
    if (this.#options.clientCert) return 'ssl';
    return this.#options.user ? 'password' : 'none';
  }

  /** One anonymous or (once logged in) authenticated call. */
  async call(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    return this.#send(this.#options.hubUrl, method, params, this.#session);
  }

  /** An authenticated call: logs in first, and once more when the hub says the session expired. */
  async authenticated(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    if (!this.#session) await this.login();
    try {
      return await this.call(method, ...params);
    } catch (error) {
      const expired = error instanceof KojiFault && (error.faultCode === KojiFaultCode.AuthExpired || error.faultCode === KojiFaultCode.AuthError);
      if (!expired) throw error;
      this.#session = undefined;
      await this.login();
      return this.call(method, ...params);
    }
  }

  async login(): Promise<void> {
    const { hubUrl, user, password } = this.#options;
    let info: XmlRpcValue;
    if (this.loginMethod === 'ssl') {
      if (!hubUrl.startsWith('https:')) throw new InfrastructureError(`Koji client-certificate login needs an https hub URL, not ${hubUrl}`);
      info = await this.#send(`${hubUrl.replace(/\/+$/, '')}/ssllogin`, 'sslLogin', [], undefined);
    } else if (this.loginMethod === 'password') {
      info = await this.#send(hubUrl, 'login', [user!, password ?? ''], undefined);
    } else {
      throw new InfrastructureError('Koji login needs RIPPLE_KOJI_CLIENT_CERT or RIPPLE_KOJI_USER and RIPPLE_KOJI_PASSWORD');
    }
    const s = info as Record<string, XmlRpcValue> | null;
    const id = typeof s?.['session-id'] === 'string' ? Number(s['session-id']) : s?.['session-id'];
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof s?.['session-key'] !== 'string') {
      throw new InfrastructureError(`Koji login answered ${JSON.stringify(info)}, not a {session-id, session-key} struct`);
    }
    this.#session = { id, key: s['session-key'], callnum: 0 };
    this.#userId = undefined;
  }

  /** The logged-in user's id (task owner), from `getLoggedInUser`. */
  async userId(): Promise<number> {
    if (this.#userId === undefined) {
      const user = await this.authenticated('getLoggedInUser') as { id?: unknown } | null;
      if (typeof user?.id !== 'number') throw new InfrastructureError(`getLoggedInUser answered ${JSON.stringify(user)}`);
      this.#userId = user.id;
    }
    return this.#userId;
  }

  /** Several calls in one request; each entry is its result or the KojiFault it raised. */
  async multiCall(calls: { method: string; params: XmlRpcValue[] }[]): Promise<(XmlRpcValue | KojiFault)[]> {
    if (calls.length === 0) return [];
    const answers = await this.call('multiCall', calls.map((c) => ({ methodName: c.method, params: c.params })));
    if (!Array.isArray(answers) || answers.length !== calls.length) {
      throw new InfrastructureError(`multiCall of ${calls.length} calls answered ${Array.isArray(answers) ? `${answers.length} entries` : JSON.stringify(answers)}`);
    }
    return answers.map((answer, i) => {
      if (Array.isArray(answer) && answer.length === 1) return answer[0]!;
      const fault = answer as Record<string, XmlRpcValue>;
      if (typeof fault?.faultCode === 'number') return new KojiFault(calls[i]!.method, fault.faultCode, String(fault.faultString));
      throw new InfrastructureError(`multiCall entry ${i} (${calls[i]!.method}) is neither [result] nor a fault: ${JSON.stringify(answer)}`);
    });
  }

  // Typed hub methods. Each checks the fields Ripple reads, so a hub that answers something else
  // fails with the method and field named instead of misbehaving later.

  async getBuildTarget(name: string): Promise<KojiBuildTarget | null> {
    const target = await this.call('getBuildTarget', name);
    return target === null ? null : expectStruct<KojiBuildTarget>(target, 'getBuildTarget', { dest_tag_name: 'string', build_tag_name: 'string' });
  }

  async getLatestBuilds(tag: string, pkg: string): Promise<KojiBuildInfo[]> {
    return expectList(await this.call('getLatestBuilds', tag, new KojiKwargs({ package: pkg })), 'getLatestBuilds',
      { build_id: 'number', name: 'string', version: 'string', release: 'string', nvr: 'string' });
  }

  async listSourceRpms(buildId: number): Promise<KojiRpm[]> {
    return expectList(await this.call('listRPMs', new KojiKwargs({ buildID: buildId, arches: 'src' })), 'listRPMs',
      { id: 'number', name: 'string', version: 'string', release: 'string', arch: 'string' });
  }

  /** Submits `build(src, target, opts, priority)`; returns the task id. */
  async build(src: string, target: string, opts: Record<string, XmlRpcValue>, priority: number): Promise<number> {
    const id = await this.authenticated('build', src, target, opts, priority);
    if (typeof id !== 'number') throw new InfrastructureError(`build answered ${JSON.stringify(id)}, not a task id`);
    return id;
  }

  async getTaskResult(taskId: number): Promise<XmlRpcValue> {
    return this.call('getTaskResult', taskId);
  }

  async getTaskChildren(taskId: number): Promise<KojiTaskInfo[]> {
    return expectList(await this.call('getTaskChildren', taskId), 'getTaskChildren', taskFields);
  }

  async cancelTask(taskId: number): Promise<void> {
    await this.authenticated('cancelTask', taskId);
  }

  async listTaskOutput(taskId: number): Promise<string[]> {
    const files = await this.call('listTaskOutput', taskId);
    if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) throw new InfrastructureError(`listTaskOutput answered ${JSON.stringify(files)}, not a list of file names`);
    return files as string[];
  }

  /** One chunk of a task's output file (the hub answers base64 text). */
  async downloadTaskOutput(taskId: number, fileName: string, offset: number, size: number): Promise<Buffer> {
    const data = await this.call('downloadTaskOutput', taskId, fileName, offset, size);
    if (Buffer.isBuffer(data)) return data;
    if (typeof data !== 'string' || !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(data)) throw new InfrastructureError(`downloadTaskOutput answered ${typeof data}, not base64`);
    return Buffer.from(data, 'base64');
  }

  async getChannel(name: string): Promise<{ id: number; name: string } | null> {
    const channel = await this.call('getChannel', name);
    return channel === null ? null : expectStruct(channel, 'getChannel', { id: 'number', name: 'string' });
  }

  async listHosts(arches: string[], channelId: number | null): Promise<KojiHost[]> {
    return expectList(await this.call('listHosts', new KojiKwargs({ arches, channelID: channelId, enabled: true })), 'listHosts',
      { name: 'string', arches: 'string', capacity: 'number', task_load: 'number', ready: 'boolean' });
  }

  /** Our own `build` tasks created after `createdAfter` (seconds since the epoch), request decoded. */
  async listOwnBuildTasks(createdAfter: number): Promise<KojiTaskInfo[]> {
    const owner = await this.userId();
    return expectList(await this.call('listTasks', { owner, method: 'build', createdAfter, decode: true }, { order: 'id' }), 'listTasks', taskFields);
  }

  async #send(url: string, method: string, params: XmlRpcValue[], session: Session | undefined): Promise<XmlRpcValue> {
    const target = new URL(url);
    const headers: Record<string, string> = { 'content-type': 'text/xml' };
    if (session) {
      session.callnum += 1;
      for (const [k, v] of [['session-id', session.id], ['session-key', session.key], ['callnum', session.callnum]] as const) target.searchParams.set(k, String(v));
      headers['koji-session-id'] = String(session.id);
      headers['koji-session-key'] = session.key;
      headers['koji-callnum'] = String(session.callnum);
    }
    const body = encodeCall(method, params);
    const what = `Koji hub ${this.#options.hubUrl} ${method}`;
    const { status, text } = await this.#post(target, headers, body, what);
    if (status !== 200) throw new InfrastructureError(`${what}: HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
    let parsed: ParsedResponse;
    try {
      parsed = parseResponse(text, what);
    } catch (error) {
      throw new InfrastructureError(`${(error as Error).message}`, { cause: error });
    }
    if (!parsed.ok) {
      // An offline hub is an outage, not an answer.
      if (parsed.faultCode === KojiFaultCode.ServerOffline) throw new InfrastructureError(`${what}: hub offline: ${parsed.faultString}`);
      throw new KojiFault(method, parsed.faultCode, parsed.faultString);
    }
    return parsed.value;
  }

  #post(url: URL, headers: Record<string, string>, body: string, what: string): Promise<{ status: number; text: string }> {
    const secure = url.protocol === 'https:';
    const request = secure ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: this.#options.timeoutSeconds * 1000, ...(secure ? this.#tls : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => reject(new InfrastructureError(`${what}: ${error.message}`, { cause: error })));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#options.timeoutSeconds} s`)));
      req.on('error', (error) => reject(new InfrastructureError(`${what}: ${error.message}`, { cause: error })));
      req.end(body);
    });
  }
}

type FieldKind = 'string' | 'number' | 'boolean';
const taskFields = { id: 'number', state: 'number', method: 'string' } as const;

function expectStruct<T>(value: XmlRpcValue, method: string, fields: Record<string, FieldKind>): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new InfrastructureError(`Koji ${method} answered ${JSON.stringify(value)}, not a struct`);
  }
  for (const [field, kind] of Object.entries(fields)) {
    const actual = (value as Record<string, XmlRpcValue>)[field];
    if (typeof actual !== kind) throw new InfrastructureError(`Koji ${method} answered a struct whose '${field}' is ${JSON.stringify(actual)}, not a ${kind}`);
  }
  return value as T;
}

function expectList<T>(value: XmlRpcValue, method: string, fields: Record<string, FieldKind>): T[] {
  if (!Array.isArray(value)) throw new InfrastructureError(`Koji ${method} answered ${JSON.stringify(value)}, not a list`);
  return value.map((entry) => expectStruct<T>(entry, method, fields));
}
