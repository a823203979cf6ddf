import { deriveAlerts } from '../alerts/derive-alerts';
import { renderAlertmanagerRoute, renderRuleFile, renderRuleTests } from '../alerts/render-alerts';
import { renderRunbooks } from '../alerts/runbooks';
import { renderDashboard } from '../dashboard/grafana';
import { renderCalendar } from '../governance/calendar';
import { buildInventory, renderInventoryYaml } from '../governance/inventory';
import type { SiteModel } from '../model/site-model';
import type { HostFileRecord } from '../model/types';
import { sha256 } from '../render/install-script';
import { renderSection, renderSectionFile } from '../render/section-config';
import { stableJson } from './stable-json';
import { renderReviewMarkdown } from './review-markdown';

/** One file of the review tree, relative to `review/`. */
export interface ReviewFile {
  readonly path: string;
  readonly content: string;
  readonly executable: boolean;
}

/**
 * Everything a reviewer reads, derived from the site model: host files byte for byte,
 * Proxmox cfg sections, the model itself and REVIEW.md. Sorted, so output is stable.
 */
export function renderReviewTree(model: SiteModel): ReviewFile[] {
  const files: ReviewFile[] = [];
  for (const [key, group] of groupBy(model.hostFiles, (f) => `${f.host}\u0000${f.path}`)) {
    const [host, path] = key.split('\u0000');
    files.push({ path: `hosts/${host}${path}`, content: joinHostFile(group), executable: /[1357]/.test(group[0].mode.slice(-3)) });
  }
  for (const [key, sections] of groupBy(model.pveSections, (s) => `${s.host}\u0000${s.file}`)) {
    const [host, file] = key.split('\u0000');
    files.push({ path: `pve/${host}/${file}`, content: renderSectionFile(sections.map((s) => renderSection(s.type, s.id, s.properties))), executable: false });
  }
  for (const [host, sections] of groupBy(model.pveSections, (s) => s.host)) {
    // storages first: jobs name them
    const ordered = [...sections].sort((a, b) => (a.file === b.file ? 0 : a.file === 'storage.cfg' ? -1 : 1));
    files.push({ path: `pve/${host}/commands.txt`, content: ordered.map((s) => s.createCommand).join('\n') + '\n', executable: false });
  }
  for (const o of model.k8sObjects) {
    files.push({ path: `k8s/${o.namespace ?? '_cluster'}/${o.kind.toLowerCase()}-${o.name}.yaml`, content: o.content, executable: false });
  }
  if (model.alerting) {
    const a = model.alerting;
    const rules = deriveAlerts(model, a);
    files.push({ path: `prometheus/${a.group}.rules.yml`, content: renderRuleFile(model, a, rules), executable: false });
    files.push({ path: `prometheus/${a.group}.test.yml`, content: renderRuleTests(a, rules), executable: false });
    files.push({ path: 'prometheus/alertmanager-route.yml', content: renderAlertmanagerRoute(model, a), executable: false });
    for (const [name, text] of renderRunbooks(model, rules)) files.push({ path: `runbooks/${name}.md`, content: text, executable: false });
  }
  if (model.dashboard) files.push({ path: `grafana/${model.site}.json`, content: stableJson(renderDashboard(model)), executable: false });
  files.push({ path: 'calendar.ics', content: renderCalendar(model), executable: false });
  files.push({ path: 'inventory.yaml', content: renderInventoryYaml(model, buildInventory(model)), executable: false });
  files.push({ path: 'model.json', content: stableJson(model.toJSON(sha256)), executable: false });
  files.push({ path: 'REVIEW.md', content: renderReviewMarkdown(model), executable: false });
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A whole file, or the managed blocks of a shared file in construct order. */
function joinHostFile(group: readonly HostFileRecord[]): string {
  return group.map((f) => f.content).join('');
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): [string, T[]][] {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k) ?? [];
    list.push(item);
    map.set(k, list);
  }
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
