import { PveHost, PveStorage } from '../../constructs';
import { describeField } from '../../lib/errors';
import { errorOf } from '../helpers/process-group';
import { testSite } from '../helpers/fixtures';

// The username schema refuses `user:password` precisely because a password is typed there by
// mistake; its error then printed the value, password and all, into the terminal and CI logs.
describe('a user name given with its password', () => {
  it('fails without repeating the password (PBS and CIFS username, SSH user)', () => {
    const { site, host } = testSite();
    const pbs = errorOf(() => new PveStorage(site, 'Pbs', { host, storageId: 'pbs', type: 'pbs', server: '10.0.0.9', datastore: 'store1', username: 'backup@pbs:hunter2' }));
    expect(pbs).toMatch(/^\[test\/Pbs\] username: expected a user name without a password .*, got a value \(not shown: it may be a secret\)/);
    const cifs = errorOf(() => new PveStorage(site, 'Smb', { host, storageId: 'smb', type: 'cifs', server: '10.0.0.9', share: 'backup', username: 'admin hunter2' }));
    expect(cifs).toMatch(/^\[test\/Smb\] username: expected a user name without a password .*, got a value \(not shown: it may be a secret\)/);
    const ssh = errorOf(() => new PveHost(site, 'Other', { name: 'other', address: '10.0.0.6', user: 'root:hunter2' }));
    expect(ssh).toMatch(/^\[test\/Other\] user: expected a Unix user name, got a value \(not shown: it may be a secret\)/);
    for (const message of [pbs, cifs, ssh]) expect(message).not.toContain('hunter2');
  });

  it('still shows a user name that is only misspelt', () => {
    expect(describeField('user', 'Root')).toBe('"Root"');
    expect(describeField('databases.0.username', 'app-user')).toBe('"app-user"');
    expect(describeField('username', 'backup@pbs:hunter2')).toBe('a value (not shown: it may be a secret)');
    expect(describeField('userCount', 'a:b')).toBe('"a:b"');
  });
});
