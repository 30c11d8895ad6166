/**
 * comps (group) XML: groups and their package lists. A buildroot is made from a group's mandatory
 * and default packages, as mock and Koschei do with the `build` group.
 */
import { repositoryUnreadable } from '../errors.ts';
import { parseXmlStream } from './xml-stream.ts';

export type PackageReqType = 'mandatory' | 'default' | 'optional' | 'conditional';

export interface PackageReq {
  name: string;
  type: PackageReqType;
  /** For `conditional`: installed when this package is. */
  requires?: string;
}

export interface CompsGroup {
  id: string;
  /** The untranslated name. */
  name: string;
  packages: PackageReq[];
}

const TYPES = new Set<string>(['mandatory', 'default', 'optional', 'conditional']);

export async function parseComps(chunks: AsyncIterable<Buffer>, file: string): Promise<CompsGroup[]> {
  const groups: CompsGroup[] = [];
  await parseXmlStream(chunks, file, (position) => {
    const path: string[] = [];
    let group: CompsGroup | undefined;
    let req: PackageReq | undefined;
    let translated = false;
    let text = '';
    return {
      open(name, attributes) {
        path.push(name);
        text = '';
        if (name === 'group' && path.length === 2) group = { id: '', name: '', packages: [] };
        else if (group && name === 'packagereq') {
          const type = attributes.type ?? 'mandatory';
          if (!TYPES.has(type)) throw repositoryUnreadable({ file, ...position(), field: 'packagereq' }, `unknown packagereq type '${type}'`);
          req = { name: '', type: type as PackageReqType, ...(attributes.requires ? { requires: attributes.requires } : {}) };
        } else if (name === 'name') translated = attributes['xml:lang'] !== undefined;
      },
      text(t) { text += t; },
      close(name) {
        path.pop();
        if (!group) return;
        if (name === 'id' && path.length === 2) group.id = text.trim();
        else if (name === 'name' && path.length === 2 && !translated) group.name = text.trim();
        else if (name === 'packagereq' && req) {
          req.name = text.trim();
          group.packages.push(req);
          req = undefined;
        } else if (name === 'group' && path.length === 1) {
          if (!group.id) throw repositoryUnreadable({ file, ...position(), field: 'id' }, 'group without an id');
          groups.push(group);
          group = undefined;
        }
      },
    };
  });
  return groups;
}

/** Package names a buildroot made from `groupId` installs (mandatory and default); undefined when there is no such group. */
export function groupPackages(groups: CompsGroup[], groupId = 'build'): string[] | undefined {
  const group = groups.find((g) => g.id === groupId);
  if (!group) return undefined;
  return group.packages.filter((p) => p.type === 'mandatory' || p.type === 'default').map((p) => p.name);
}
