/** A shields-style SVG badge of a package's state, for READMEs and dist-git pages. */
import type { PackageState } from '../db/schema.ts';

const stateColours: Record<PackageState, string> = {
  ok: '#2e7d32', failing: '#c62828', unresolved: '#b45309', blocked: '#6b7280', untracked: '#6b7280', unknown: '#6b7280',
};

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
/** Verdana 11px averages about 6.5px per character; close enough for a badge. */
const textWidth = (text: string) => Math.round(text.length * 6.5 + 10);

export function stateBadge(label: string, state: PackageState | 'not found'): string {
  const left = textWidth(label);
  const right = textWidth(state);
  const colour = state === 'not found' ? '#6b7280' : stateColours[state];
  const title = escapeXml(`${label}: ${state}`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + right}" height="20" role="img" aria-label="${title}">`
    + `<title>${title}</title>`
    + `<rect width="${left}" height="20" fill="#374151"/><rect x="${left}" width="${right}" height="20" fill="${colour}"/>`
    + `<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">`
    + `<text x="${left / 2}" y="14">${escapeXml(label)}</text><text x="${left + right / 2}" y="14">${escapeXml(state)}</text></g></svg>`;
}
