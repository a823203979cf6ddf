/** The parts of `review/model.json` the protection diff reads. */
export interface ModelJson {
  readonly site: string;
  readonly assets: readonly { id: string; name: string; classification: string }[];
  readonly targets: readonly { id: string; name: string; medium: string; location: string }[];
  readonly jobs: readonly { id: string; enabled: boolean; scheduleHuman: string; staleAfterHours: number }[];
  readonly copies: readonly { id: string; asset: string; job: string; target: string; layer: string; retention: string }[];
  readonly findings: readonly { rule: string; subject: string; message: string; severity: string }[];
  readonly alerts?: readonly { name: string; job?: string; threshold: string }[];
}

function keepValues(retention: string): Map<string, number> {
  return new Map(
    retention
      .split(',')
      .map((p) => /^(keep-[a-z]+)=(\d+)$/.exec(p.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], Number(m[2])]),
  );
}

/**
 * Protection changes between two revisions of a site, in a reviewer's words: assets newly
 * unprotected, copies lost, retention shortened, copies moved on-site, alerts removed, jobs
 * disabled, new contention and new 3-2-1 shortfalls. Resource churn is not reported.
 */
export function diffProtection(before: ModelJson, after: ModelJson): string[] {
  const out: string[] = [];
  const assetName = (id: string) => after.assets.find((a) => a.id === id)?.name ?? before.assets.find((a) => a.id === id)?.name ?? id;
  const target = (m: ModelJson, id: string) => m.targets.find((t) => t.id === id);
  const copiesOf = (m: ModelJson, asset: string) => m.copies.filter((c) => c.asset === asset);

  for (const a of before.assets) {
    if (!after.assets.some((x) => x.id === a.id)) out.push(`- **asset removed from the site**: ${a.name} (${a.classification}) is no longer declared`);
    else if (copiesOf(before, a.id).length && !copiesOf(after, a.id).length) out.push(`- **newly unprotected**: ${a.name} (${a.classification}) has no copy any more`);
  }
  for (const a of after.assets) {
    if (!before.assets.some((x) => x.id === a.id) && !copiesOf(after, a.id).length) out.push(`- **new asset without a copy**: ${a.name} (${a.classification})`);
  }
  for (const c of before.copies) {
    const now = after.copies.find((x) => x.id === c.id);
    if (!now) {
      if (after.assets.some((a) => a.id === c.asset) && copiesOf(after, c.asset).length) {
        out.push(`- **copy removed**: ${assetName(c.asset)} no longer gets its ${c.layer} copy on ${target(before, c.target)?.name ?? c.target} (job \`${c.job}\`)`);
      }
      continue;
    }
    const was = keepValues(c.retention);
    const is = keepValues(now.retention);
    const shorter = [...was].filter(([k, v]) => (is.get(k) ?? 0) < v);
    if (shorter.length && !/^keep-all/.test(now.retention)) {
      out.push(`- **retention shortened**: ${assetName(c.asset)} on ${target(after, now.target)?.name ?? now.target}: ${c.retention} → ${now.retention}`);
    }
    const wasLoc = target(before, c.target)?.location;
    const isLoc = target(after, now.target)?.location;
    if (wasLoc === 'off-site' && isLoc === 'on-site') out.push(`- **copy moved on-site**: ${assetName(c.asset)} (job \`${c.job}\`) now lands on ${target(after, now.target)?.name ?? now.target}`);
  }
  for (const j of before.jobs) {
    const now = after.jobs.find((x) => x.id === j.id);
    if (now && j.enabled && !now.enabled) out.push(`- **job disabled**: \`${j.id}\` (${j.scheduleHuman})`);
    if (now && now.scheduleHuman !== j.scheduleHuman) out.push(`- schedule changed: \`${j.id}\` ${j.scheduleHuman} → ${now.scheduleHuman}`);
    if (now && now.staleAfterHours > j.staleAfterHours) out.push(`- stale threshold raised: \`${j.id}\` ${j.staleAfterHours}h → ${now.staleAfterHours}h (later detection)`);
  }
  for (const a of before.alerts ?? []) {
    if (!(after.alerts ?? []).some((x) => x.name === a.name)) out.push(`- **alert removed**: ${a.name}${a.job ? ` (job \`${a.job}\`)` : ''}`);
  }
  const key = (f: { rule: string; subject: string }) => `${f.rule} ${f.subject}`;
  const had = new Set(before.findings.map(key));
  for (const f of after.findings.filter((x) => !had.has(key(x)))) {
    if (f.rule === 'contention') out.push(`- **schedules now overlap**: ${f.message}`);
    else if (f.rule === '3-2-1') out.push(`- **new 3-2-1 shortfall**: ${f.message}`);
    else if (f.severity === 'error' || f.severity === 'warning') out.push(`- new ${f.severity} \`${f.rule}\`: ${f.message}`);
  }
  return out;
}

/** A pull-request-ready block for one site. */
export function renderProtectionDiff(site: string, lines: readonly string[]): string {
  return [`### Protection changes: site \`${site}\``, '', ...(lines.length ? lines : ['No protection changes.']), ''].join('\n');
}
