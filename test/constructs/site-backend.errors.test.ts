import { SiteBackend } from '../../constructs';
import { errorOf } from '../helpers/process-group';

// A backend setting Terraform does not know, or a missing bucket, used to pass the synth and
// fail only at `terraform init`, on the day the site is first deployed from another machine.
describe('SiteBackend settings', () => {
  it('fails when a required setting is missing', () => {
    expect(errorOf(() => SiteBackend.s3({} as never))).toBe(
      '[SiteBackend.s3] bucket: required: expected the name of the bucket that holds the state, got nothing\n' +
        '[SiteBackend.s3] key: required: expected the path of the state object in the bucket, e.g. sites/<site>.tfstate, got nothing',
    );
    expect(errorOf(() => SiteBackend.http({} as never))).toMatch(/^\[SiteBackend\.http\] address: required: expected the URL of the state/);
    expect(errorOf(() => SiteBackend.kubernetes({ secretSufix: 'home' } as never))).toContain(
      '[SiteBackend.kubernetes] secretSuffix: required: expected the suffix of the Secret that holds the state',
    );
  });

  it('fails on a misspelt setting and names the one meant', () => {
    expect(errorOf(() => SiteBackend.s3({ bucket: 'tf', key: 'sites/home.tfstate', regoin: 'eu-central-1' } as never))).toBe(
      '[SiteBackend.s3] regoin: not a known option (hint: did you mean region?)',
    );
    expect(errorOf(() => SiteBackend.http({ address: 'https://state.example/home', lock_address: 'https://state.example/lock' } as never))).toBe(
      '[SiteBackend.http] lock_address: not a known option (hint: did you mean lockAddress?)',
    );
    expect(errorOf(() => SiteBackend.pg({ schemaname: 'home' } as never))).toBe('[SiteBackend.pg] schemaname: not a known option (hint: did you mean schemaName?)');
  });

  it('accepts every setting cdktf documents, nested blocks included', () => {
    expect(() =>
      SiteBackend.s3({ bucket: 'tf', key: 'sites/home.tfstate', region: 'eu-central-1', encrypt: true, usePathStyle: true, endpoints: { s3: 'https://minio.lan' }, assumeRole: { roleArn: 'arn:aws:iam::1:role/tf' } }),
    ).not.toThrow();
    expect(() => SiteBackend.http({ address: 'https://state.example/home', lockAddress: 'https://state.example/lock', username: 'tf', retryMax: 3 })).not.toThrow();
    expect(() => SiteBackend.kubernetes({ secretSuffix: 'home', namespace: 'terraform', inClusterConfig: false })).not.toThrow();
  });
});
