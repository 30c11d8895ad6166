/**
 * Finds a source package's SRPM in a collection's rpm-md repositories: the primary metadata lists
 * `<location href>` for arch `src` packages. Later repositories of the overlay stack shadow earlier
 * ones, so they are searched first. Remote SRPMs are downloaded into the build's work directory.
 */
import { createWriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, RippleError } from '../errors.ts';
import { readEntry, readRepomd } from '../repos/rpm-md-reader.ts';
import { parseXmlStream } from '../repos/xml-stream.ts';
import { resolveLocation } from '../repos/open-repository-file.ts';

/** The address (path or URL) of `name`'s SRPM in the first repository, from the top, that has it. */
export async function findSourceRpm(locations: readonly string[], name: string): Promise<string> {
  for (const location of [...locations].reverse()) {
    const repomd = await readRepomd(location);
    const primary = repomd.entries.find((e) => e.type === 'primary');
    if (!primary) continue;
    const href = await readEntry(location, primary, async (chunks, file) => {
      let found: string | undefined;
      let current: { name: string; arch: string; href: string } | undefined;
      let field: 'name' | 'arch' | undefined;
      let text = '';
      await parseXmlStream(chunks, file, () => ({
        open(element, attributes) {
          if (element === 'package') current = { name: '', arch: '', href: '' };
          else if (current && (element === 'name' || element === 'arch') && !current[element]) { field = element; text = ''; }
          else if (current && element === 'location') current.href = attributes.href ?? '';
        },
        text(t) { if (field) text += t; },
        close(element) {
          if (current && field === element) { current[field] = text.trim(); field = undefined; }
          if (element === 'package' && current) {
            if (current.name === name && current.arch === 'src' && current.href) found ??= current.href;
            current = undefined;
          }
        },
      }));
      return found;
    });
    if (href) return resolveLocation(location, href);
  }
  throw new RippleError(ErrorCode.NotFound, `no source rpm of '${name}' in ${locations.join(', ')} (primary.xml lists no arch src package of that name)`, { what: 'source rpm', key: name });
}

/** A local path to the SRPM: the file itself, or a download into `directory`. */
export async function fetchSourceRpm(address: string, directory: string): Promise<string> {
  if (address.startsWith('file://')) return new URL(address).pathname;
  if (!/^https?:\/\//.test(address)) return address;
  const response = await fetch(address);
  if (!response.ok || !response.body) {
    throw new RippleError(ErrorCode.UpstreamFailed, `cannot download ${address}: HTTP ${response.status}`, { url: address });
  }
  const path = join(directory, basename(new URL(address).pathname));
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(path));
  return path;
}
