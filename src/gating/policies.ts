/**
 * Greenwave gating policies: `--- !Policy` YAML documents with `!PassingTestCaseRule` and
 * `!RemoteRule` rules, read from the configured policies directory. Every mistake in a policy
 * file is an invalid_input error naming the file, line and field.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, YAMLMap, isMap, isSeq, parseAllDocuments, type CollectionTag, type Node } from 'yaml';
import { loadConfig } from '../config.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { log } from '../log.ts';

export interface PassingTestCaseRule {
  rule: 'PassingTestCaseRule';
  testCaseName: string;
  scenario: string | null;
  validSince: Date | null;
  validUntil: Date | null;
}

/** Accepted for compatibility; Ripple never fetches remote gating.yaml files. */
export interface RemoteRule {
  rule: 'RemoteRule';
  required: boolean;
  sources: string[] | null;
}

export type Rule = PassingTestCaseRule | RemoteRule;

export interface Policy {
  id: string;
  productVersions: string[];
  decisionContexts: string[];
  subjectType: string;
  rules: Rule[];
  packages: string[];
  excludedPackages: string[];
  relevanceKey: string | null;
  relevanceValue: string | null;
  /** File the policy came from. */
  file: string;
}

export interface PolicySet {
  policies: Policy[];
  directory: string | null;
}

const ruleTags = ['!PassingTestCaseRule', '!RemoteRule'];
const obsoleteRules: Record<string, string> = {
  '!PackageSpecificBuild': 'Please use the "packages" allowlist instead.',
  '!FedoraAtomicCi': 'Please use the "packages" allowlist instead.',
};
// The tags are only recognised here; the node (with its tag and position) is what parsing reads.
const customTags = ['!Policy', ...ruleTags, ...Object.keys(obsoleteRules)].map((tag): CollectionTag => ({
  tag, collection: 'map', nodeClass: YAMLMap, identify: () => false, resolve: (map) => map,
}));

/** fnmatch-style glob (`*`, `?`, `[...]`) as an anchored regular expression. */
export function globPattern(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') pattern += '.*';
    else if (ch === '?') pattern += '.';
    else if (ch === '[' && glob.indexOf(']', i + 2) > i) {
      const end = glob.indexOf(']', i + 2);
      const body = glob.slice(i + 1, end);
      pattern += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`.replace(/\\/g, '\\\\');
      i = end;
    } else pattern += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`, 's');
}
const globCache = new Map<string, RegExp>();
export function globMatches(glob: string, value: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    try {
      re = globPattern(glob);
    } catch {
      re = /(?!)/;
    }
    if (globCache.size < 10_000) globCache.set(glob, re);
  }
  return re.test(value);
}

interface ParseContext {
  file: string;
  lines: LineCounter;
}

function fail(ctx: ParseContext, node: Node | null | undefined, field: string, problem: string): never {
  const offset = node?.range?.[0];
  const pos = offset === undefined ? undefined : ctx.lines.linePos(offset);
  const where = pos ? `${ctx.file}:${pos.line}:${pos.col}` : ctx.file;
  throw new RippleError(ErrorCode.InvalidInput, `${where}: ${field}: ${problem}`, { file: ctx.file, line: pos?.line, column: pos?.col, field });
}

function entries(ctx: ParseContext, map: YAMLMap, field: string, allowed: readonly string[]): Map<string, Node | null> {
  const result = new Map<string, Node | null>();
  for (const pair of map.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    if (!allowed.includes(key)) fail(ctx, pair.key as Node, `${field}.${key}`, `unknown attribute (expected ${allowed.join(', ')})`);
    result.set(key, (pair.value as Node) ?? null);
  }
  return result;
}

function stringValue(ctx: ParseContext, node: Node | null | undefined, field: string): string {
  const value = node?.toJSON();
  if (typeof value !== 'string' || value === '') fail(ctx, node, field, 'must be a non-empty string');
  return value;
}

function stringList(ctx: ParseContext, node: Node | null | undefined, field: string): string[] {
  if (!isSeq(node)) fail(ctx, node, field, 'must be a list of strings');
  return node.items.map((item, i) => stringValue(ctx, item as Node, `${field}[${i}]`));
}

function dateValue(ctx: ParseContext, node: Node | null | undefined, field: string): Date {
  const raw = node?.toJSON();
  const date = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(raw) || raw.length === 10 ? raw : `${raw}Z`) : new Date(NaN);
  if (Number.isNaN(date.getTime())) fail(ctx, node, field, `must be an ISO 8601 date or time, got ${JSON.stringify(raw)}`);
  return date;
}

/** An attribute that is there and not YAML null (`scenario: null` means no scenario). */
const present = (node: Node | null | undefined): node is Node => node != null && node.toJSON() != null;

function parseRule(ctx: ParseContext, node: Node, field: string): Rule {
  const tag = (node as { tag?: string }).tag;
  if (tag && obsoleteRules[tag]) fail(ctx, node, field, `${tag} is obsolete. ${obsoleteRules[tag]}`);
  if (!isMap(node) || !tag || !ruleTags.includes(tag)) fail(ctx, node, field, `must be a rule tagged ${ruleTags.join(' or ')}`);
  if (tag === '!RemoteRule') {
    const attrs = entries(ctx, node, field, ['required', 'sources']);
    const required = attrs.get('required')?.toJSON() ?? false;
    if (typeof required !== 'boolean') fail(ctx, attrs.get('required'), `${field}.required`, 'must be true or false');
    return { rule: 'RemoteRule', required, sources: attrs.has('sources') ? stringList(ctx, attrs.get('sources'), `${field}.sources`) : null };
  }
  const attrs = entries(ctx, node, field, ['test_case_name', 'scenario', 'valid_since', 'valid_until']);
  if (!attrs.has('test_case_name')) fail(ctx, node, `${field}.test_case_name`, 'is required');
  return {
    rule: 'PassingTestCaseRule',
    testCaseName: stringValue(ctx, attrs.get('test_case_name'), `${field}.test_case_name`),
    scenario: present(attrs.get('scenario')) ? stringValue(ctx, attrs.get('scenario'), `${field}.scenario`) : null,
    validSince: present(attrs.get('valid_since')) ? dateValue(ctx, attrs.get('valid_since'), `${field}.valid_since`) : null,
    validUntil: present(attrs.get('valid_until')) ? dateValue(ctx, attrs.get('valid_until'), `${field}.valid_until`) : null,
  };
}

/**
 * Parses policy documents. `remote` applies gating.yaml defaults (Greenwave's RemotePolicy: id
 * optional, product_versions ['*'], subject_type koji_build, no !RemoteRule inside).
 */
export function parsePolicies(text: string, file: string, options: { remote?: boolean } = {}): Policy[] {
  const ctx: ParseContext = { file, lines: new LineCounter() };
  const documents = parseAllDocuments(text, { lineCounter: ctx.lines, customTags, uniqueKeys: true });
  if (!Array.isArray(documents)) return []; // an empty stream
  const policies: Policy[] = [];
  for (const [index, document] of documents.entries()) {
    const field = `document ${index + 1}`;
    const problem = document.errors[0] ?? document.warnings[0];
    if (problem) {
      const pos = problem.linePos?.[0];
      throw new RippleError(ErrorCode.InvalidInput, `${file}:${pos ? `${pos.line}:${pos.col}` : '?'}: ${problem.message.split('\n')[0]}`, { file, line: pos?.line, column: pos?.col, field });
    }
    const root = document.contents;
    if (root === null) continue;
    if (!isMap(root) || (root as { tag?: string }).tag !== '!Policy') fail(ctx, root, field, 'each document must be a mapping tagged !Policy');
    const attrs = entries(ctx, root, field, ['id', 'product_versions', 'decision_context', 'decision_contexts', 'subject_type', 'rules',
      'excluded_packages', 'packages', 'relevance_key', 'relevance_value']);
    if (!attrs.has('id') && !options.remote) fail(ctx, root, `${field}.id`, 'is required');
    const id = attrs.has('id') || !options.remote ? stringValue(ctx, attrs.get('id'), `${field}.id`) : `${file}#${index + 1}`;
    const at = `policy '${id}'`;
    if (attrs.has('decision_context') && attrs.has('decision_contexts')) fail(ctx, root, at, 'Both properties "decision_contexts" and "decision_context" were set');
    const decisionContexts = attrs.has('decision_contexts') ? stringList(ctx, attrs.get('decision_contexts'), `${at}.decision_contexts`)
      : attrs.has('decision_context') ? [stringValue(ctx, attrs.get('decision_context'), `${at}.decision_context`)] : [];
    if (decisionContexts.length === 0) fail(ctx, root, at, 'No decision contexts provided');
    if (!attrs.has('product_versions') && !options.remote) fail(ctx, root, `${at}.product_versions`, 'is required');
    if (!attrs.has('subject_type') && !options.remote) fail(ctx, root, `${at}.subject_type`, 'is required');
    if (!attrs.has('rules')) fail(ctx, root, `${at}.rules`, 'is required (an empty list means no tests are required)');
    const rulesNode = attrs.get('rules');
    if (!isSeq(rulesNode)) fail(ctx, rulesNode, `${at}.rules`, 'must be a list of rules');
    const rules = rulesNode.items.map((item, i) => parseRule(ctx, item as Node, `${at}.rules[${i}]`));
    if (options.remote && rules.some((r) => r.rule === 'RemoteRule')) fail(ctx, rulesNode, `${at}.rules`, 'RemoteRule is not allowed in remote policies');
    const optionalText = (key: string) => (present(attrs.get(key)) ? stringValue(ctx, attrs.get(key), `${at}.${key}`) : null);
    policies.push({
      id,
      productVersions: attrs.has('product_versions') ? stringList(ctx, attrs.get('product_versions'), `${at}.product_versions`) : ['*'],
      decisionContexts,
      subjectType: attrs.has('subject_type') ? stringValue(ctx, attrs.get('subject_type'), `${at}.subject_type`) : 'koji_build',
      rules,
      packages: attrs.has('packages') ? stringList(ctx, attrs.get('packages'), `${at}.packages`) : [],
      excludedPackages: attrs.has('excluded_packages') ? stringList(ctx, attrs.get('excluded_packages'), `${at}.excluded_packages`) : [],
      relevanceKey: optionalText('relevance_key'),
      relevanceValue: optionalText('relevance_value'),
      file,
    });
  }
  return policies;
}

const loaded = new Map<string, { stamp: string; set: PolicySet }>();

/**
 * Every `*.yaml` policy file in `directory`, re-read when a file's size or mtime changes (so an
 * edited policy takes effect on the next decision, without a restart).
 */
export function loadPolicyDirectory(directory: string): PolicySet {
  let names: string[];
  try {
    names = readdirSync(directory).filter((n) => n.endsWith('.yaml')).sort();
  } catch (error) {
    throw new RippleError(ErrorCode.InvalidInput, `${directory}: cannot read the policies directory: ${(error as Error).message}`, { file: directory, field: 'policiesDir' });
  }
  const stamp = names.map((n) => {
    const st = statSync(join(directory, n));
    return `${n}:${st.size}:${st.mtimeMs}`;
  }).join('|');
  const cached = loaded.get(directory);
  if (cached?.stamp === stamp) return cached.set;
  let policies: Policy[];
  try {
    policies = names.flatMap((n) => parsePolicies(readFileSync(join(directory, n), 'utf8'), join(directory, n)));
  } catch (error) {
    // A policy edit with a typo must not stop results and decisions: keep serving the last good set.
    if (!cached) throw error;
    log.warn('policy files are invalid; keeping the policies loaded before', { directory, error });
    loaded.set(directory, { stamp, set: cached.set });
    return cached.set;
  }
  const set = { policies, directory };
  loaded.set(directory, { stamp, set });
  return set;
}

/** The policies of the configured `policiesDir`. */
export const defaultPolicies = (): PolicySet => loadPolicyDirectory(loadConfig().policiesDir);

const ruleJson = (rule: Rule) => (rule.rule === 'RemoteRule'
  ? { rule: 'RemoteRule', required: rule.required, sources: rule.sources }
  : { rule: 'PassingTestCaseRule', test_case_name: rule.testCaseName, scenario: rule.scenario });

/** Greenwave's representation in GET /policies. */
export const policyJson = (p: Policy) => ({
  id: p.id,
  product_versions: p.productVersions,
  decision_context: p.decisionContexts.length === 1 ? p.decisionContexts[0] : null,
  decision_contexts: p.decisionContexts,
  subject_type: p.subjectType,
  rules: p.rules.map(ruleJson),
  excluded_packages: p.excludedPackages,
  packages: p.packages,
  relevance_key: p.relevanceKey,
  relevance_value: p.relevanceValue,
});

/** Rule identity within one subject's decision: a rule shared by two policies is checked once. */
export const ruleKey = (rule: Rule) => JSON.stringify(ruleJson(rule));
