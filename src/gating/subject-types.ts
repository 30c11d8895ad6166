/**
 * Subject types decisions can be made about, and how each finds its results (ResultsDB data
 * `item` + `type`, or a legacy key holding the identifier) and its waivers (WaiverDB
 * subject_type, any alias). Requests naming any other type get a 400, not an empty decision.
 */
import { invalidInput } from '../errors.ts';

export interface SubjectType {
  id: string;
  aliases: string[];
  /** Values of result data `type` that mark results of this subject type (with `item` = identifier). */
  resultTypes: string[];
  /** Older data keys whose value is the identifier by itself. */
  itemKeys: string[];
  /** No applicable policy for this type is not an error: the subject is skipped (Greenwave's ignore_missing_policy). */
  ignoreMissingPolicy: boolean;
  description: string;
  /** Package name for policies' packages / excluded_packages, when the identifier has one. */
  packageName(identifier: string): string | null;
  /** Product versions the identifier itself implies (used to find decisions a change affects). */
  productVersions(identifier: string): string[];
}

const nvr = /^(.+)-([^-]+)-([^-]+)$/;

export const subjectTypes: readonly SubjectType[] = [
  {
    id: 'koji_build',
    aliases: ['brew-build'],
    resultTypes: ['koji_build', 'brew-build'],
    itemKeys: ['original_spec_nvr'],
    ignoreMissingPolicy: false,
    description: 'A Koji build; the identifier is its NVR (name-version-release).',
    packageName: (identifier) => nvr.exec(identifier)?.[1] ?? null,
    productVersions(identifier) {
      const fedora = /\.fc(\d+)/.exec(identifier);
      if (fedora) return [`fedora-${fedora[1]}`];
      const el = /\.el(\d+)/.exec(identifier);
      return el ? [`epel-${el[1]}`, `rhel-${el[1]}`] : [];
    },
  },
  {
    id: 'bodhi_update',
    aliases: [],
    resultTypes: ['bodhi_update'],
    itemKeys: [],
    // Bodhi asks about the update next to its builds; without update-level policies that must not fail the request.
    ignoreMissingPolicy: true,
    description: 'A Bodhi update; the identifier is its alias (FEDORA-2024-...).',
    packageName: () => null,
    productVersions: () => [],
  },
  {
    id: 'ripple_package',
    aliases: [],
    resultTypes: ['ripple_package'],
    itemKeys: [],
    ignoreMissingPolicy: false,
    description: "A package in a Ripple collection; the identifier is '<collection>/<package>'.",
    packageName: (identifier) => identifier.split('/')[1] ?? null,
    productVersions: (identifier) => (identifier.includes('/') ? [identifier.split('/')[0]!] : []),
  },
];

export function findSubjectType(id: string): SubjectType | undefined {
  return subjectTypes.find((t) => t.id === id || t.aliases.includes(id));
}

export interface Subject {
  /** The canonical type (an alias in a request becomes its type's id, as in Greenwave). */
  type: string;
  identifier: string;
  subjectType: SubjectType;
  packageName: string | null;
}

export function makeSubject(type: string, identifier: string, field: string): Subject {
  const subjectType = findSubjectType(type);
  if (!subjectType) {
    throw invalidInput(field, `unknown subject type '${type.slice(0, 60)}'; supported: ${subjectTypes.map((t) => t.id).join(', ')} (GET /api/v1.0/subject_types)`);
  }
  return { type: subjectType.id, identifier, subjectType, packageName: subjectType.packageName(identifier) };
}

/** The subjects a result with this data is about. */
export function subjectsOfResultData(data: Record<string, string[]>): Subject[] {
  const subjects = new Map<string, Subject>();
  for (const subjectType of subjectTypes) {
    const identifiers = (data.type ?? []).some((t) => subjectType.resultTypes.includes(t)) ? [...(data.item ?? [])] : [];
    for (const key of subjectType.itemKeys) identifiers.push(...(data[key] ?? []));
    for (const identifier of identifiers) {
      subjects.set(`${subjectType.id}\0${identifier}`, { type: subjectType.id, identifier, subjectType, packageName: subjectType.packageName(identifier) });
    }
  }
  return [...subjects.values()];
}

export const subjectTypeJson = (t: SubjectType) => ({
  id: t.id,
  aliases: t.aliases,
  result_types: t.resultTypes,
  item_keys: t.itemKeys,
  ignore_missing_policy: t.ignoreMissingPolicy,
  supports_remote_rule: false,
  description: t.description,
});
