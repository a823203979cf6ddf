import { BackupAlertRules, Duration, ExternalBackup } from '../../constructs';
import { testSite } from '../helpers/fixtures';
import { reviewOf } from '../helpers/synth';

describe('ExternalBackup', () => {
  const make = (restore?: ConstructorParameters<typeof ExternalBackup>[2]['restore']) => {
    const { site } = testSite();
    new ExternalBackup(site, 'Ha', { name: 'app-home-assistant', protects: 'Home Assistant', tool: 'HA built-in backup', host: 'nas', basePath: '/volume1/ha', staleAfter: Duration.hours(48), restore });
    // runbooks are written with the alert rules that link to them
    new BackupAlertRules(site, 'Alerts');
    return reviewOf(site);
  };

  it("puts its restore steps in its runbook and in full-restore.md, in the tool's own terms", () => {
    const review = make([{ title: 'upload the newest backup and restore it', notes: ['Settings › System › Backups › Upload backup'], commands: ['ls -1t /volume1/ha/*.tar | head -n 1'] }]);
    const runbook = review.get('runbooks/app-home-assistant.md')!.content;
    expect(runbook).toContain('### upload the newest backup and restore it\n\nSettings › System › Backups › Upload backup\n\n```sh\nls -1t /volume1/ha/*.tar | head -n 1\n```');
    expect(review.get('runbooks/full-restore.md')!.content).toContain('**upload the newest backup and restore it**');
  });

  it('without them, says to restore with the tool that made the backup', () => {
    expect(make().get('runbooks/app-home-assistant.md')!.content).toContain('Restore with the tool that made the backup; see its documentation.');
  });
});
