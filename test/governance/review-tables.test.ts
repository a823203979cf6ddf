import { VzdumpJob, Schedule } from '../../constructs';
import { nfsStorage, testSite, vm } from '../helpers/fixtures';
import { reviewOf } from '../helpers/synth';

/** Cells of a GFM table row: split on every `|` that is not escaped. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/);
}

/** Every table in a Markdown text, as its rows (header first, the --- line dropped). */
function tables(markdown: string): string[][] {
  const found: string[][] = [];
  let current: string[] | undefined;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    if (!current) found.push((current = []));
    if (!/^\|(-+\|)+$/.test(line)) current.push(line);
  }
  return found;
}

describe('REVIEW.md tables', () => {
  it('keep every row to its header\'s columns when free text holds a |', () => {
    const { site, host } = testSite();
    const storage = nfsStorage(site, host);
    const guest = vm(site, host, 100, { notes: 'primary | standby on pve2' });
    new VzdumpJob(site, 'Nightly', { host, jobId: 'nightly', schedule: Schedule.daily('02:00'), storage, guests: [guest] });
    const review = reviewOf(site).get('REVIEW.md')!.content;

    const all = tables(review);
    expect(all.length).toBeGreaterThan(3);
    for (const rows of all) {
      const width = cells(rows[0]).length;
      for (const row of rows) expect({ row, cells: cells(row).length }).toEqual({ row, cells: width });
    }
    expect(review).toContain('(primary \\| standby on pve2)');
  });
});
