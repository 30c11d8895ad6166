/**
 * Version ordering of the two package worlds: rpm's rpmvercmp (with `~` before everything and
 * `^` after the base version) and the Debian policy algorithm (section 5.6.12).
 * Both return -1, 0 or 1.
 */

const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** rpm's segment comparison of one version or release string. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isDigit(a[i]) && !isAlpha(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isDigit(b[j]) && !isAlpha(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++; j++;
      continue;
    }
    // `^` sorts after the end of the other string but before any further segment.
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++; j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const test = numeric ? isDigit : isAlpha;
    let ie = i;
    let je = j;
    while (ie < a.length && test(a[ie])) ie++;
    while (je < b.length && test(b[je])) je++;
    if (je === j) return numeric ? 1 : -1; // a numeric segment is newer than an alphabetic one
    let sa = a.slice(i, ie);
    let sb = b.slice(j, je);
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ie; j = je;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface Evr { epoch: number; version: string; release?: string }

/** Splits `[epoch:]version[-release]`; the release is whatever follows the last `-`. */
export function parseRpmEvr(evr: string): Evr {
  const colon = evr.indexOf(':');
  const epoch = colon > 0 && /^\d+$/.test(evr.slice(0, colon)) ? Number(evr.slice(0, colon)) : 0;
  const rest = colon > 0 ? evr.slice(colon + 1) : evr;
  const dash = rest.lastIndexOf('-');
  return dash < 0 ? { epoch, version: rest } : { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

/**
 * Compares two rpm EVRs (strings `[epoch:]version[-release]` or parsed). A missing epoch is 0; when
 * either side has no release, releases are not compared, as rpm does for `foo >= 1.0` against 1.0-5.
 */
export function compareRpmVersions(a: string | Evr, b: string | Evr): number {
  const x = typeof a === 'string' ? parseRpmEvr(a) : a;
  const y = typeof b === 'string' ? parseRpmEvr(b) : b;
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  const byVersion = rpmvercmp(x.version, y.version);
  if (byVersion !== 0 || !x.release || !y.release) return byVersion;
  return rpmvercmp(x.release, y.release);
}

/** Debian's order of one character in a non-digit part: `~` first, then end of part, letters, the rest. */
function debianOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (isAlpha(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function compareDebianPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit prefix, character by character in Debian's order.
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ca = i < a.length && !isDigit(a[i]) ? a[i] : undefined;
      const cb = j < b.length && !isDigit(b[j]) ? b[j] : undefined;
      const diff = debianOrder(ca) - debianOrder(cb);
      if (diff !== 0) return diff < 0 ? -1 : 1;
      i++; j++;
    }
    let na = '';
    let nb = '';
    while (i < a.length && isDigit(a[i])) na += a[i++];
    while (j < b.length && isDigit(b[j])) nb += b[j++];
    na = na.replace(/^0+/, '');
    nb = nb.replace(/^0+/, '');
    if (na.length !== nb.length) return na.length < nb.length ? -1 : 1;
    if (na !== nb) return na < nb ? -1 : 1;
  }
  return 0;
}

/** Splits a Debian version `[epoch:]upstream[-revision]`. */
export function parseDebianVersion(version: string): { epoch: number; upstream: string; revision: string } {
  const colon = version.indexOf(':');
  const epoch = colon > 0 ? Number(version.slice(0, colon)) : 0;
  const rest = colon > 0 ? version.slice(colon + 1) : version;
  const dash = rest.lastIndexOf('-');
  return dash < 0 ? { epoch, upstream: rest, revision: '' } : { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) };
}

export function compareDebianVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return compareDebianPart(x.upstream, y.upstream) || compareDebianPart(x.revision, y.revision);
}
