import { ClientStandardSite, Duration, ExternalBackup, Guest } from '../../constructs';
import { errorOf } from '../helpers/process-group';
import { testSite } from '../helpers/fixtures';

// An asset's notes fill a cell of REVIEW.md's copies table: a line break ended the row there
// and left the rest of the notes as stray text under the table.
describe('asset notes in REVIEW.md', () => {
  const ONE_LINE = "expected one line without control characters (the notes fill a cell of REVIEW.md's copies table, where a line break would end the row)";
  const HINT = '(hint: write the notes on one line, e.g. with ; between parts)';

  it('fails when a guest, external backup or client-standard guest has notes of several lines', () => {
    const { site, host } = testSite();
    expect(errorOf(() => new Guest(site, 'Vm', { host, vmid: 100, type: 'qemu', name: 'vm', notes: 'Docker host\nsee the wiki' }))).toBe(`[test/Vm] notes: ${ONE_LINE}, got "Docker host\\nsee the wiki" ${HINT}`);
    expect(errorOf(() => new ExternalBackup(site, 'Ha', { name: 'app-ha', protects: 'Home Assistant', tool: 'HA built-in backup', host: 'nas', basePath: '/volume1/ha', staleAfter: Duration.hours(48), notes: 'a\r\nb' }))).toBe(`[test/Ha] notes: ${ONE_LINE}, got "a\\r\\nb" ${HINT}`);
    expect(errorOf(() => new ClientStandardSite(site, 'Standard', { host, guests: [{ vmid: 200, name: 'docker-host', notes: 'a\nb' }] }))).toBe(`[test/Standard] guests.0.notes: ${ONE_LINE}, got "a\\nb" ${HINT}`);
  });
});
