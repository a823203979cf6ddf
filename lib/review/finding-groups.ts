import type { FindingRecord } from '../model/types';

/** More findings than this with one severity, rule and fix are shown as one group. */
export const GROUP_ABOVE = 5;

/**
 * Findings grouped by severity, rule and fix, in the order of each group's first finding.
 * A large site short of 3-2-1 on every guest has a thousand findings that say one thing:
 * REVIEW.md and the synth summary show such a group as one line, so the rules come first.
 */
export function groupFindings(findings: readonly FindingRecord[]): FindingRecord[][] {
  const groups = new Map<string, FindingRecord[]>();
  for (const f of findings) {
    const key = `${f.severity}\u0000${f.rule}\u0000${f.fix}`;
    const group = groups.get(key);
    if (group) group.push(f);
    else groups.set(key, [f]);
  }
  return [...groups.values()];
}
