import { Construct } from 'constructs';
import { BackupSite } from '../constructs';
import { coloSite } from './colo';
import { homeSite } from './home';
import { homelabSite } from './homelab';
import { shopSite } from './shop';
import { clientStandardSite } from './client-standard';

/** Every site of this repository, by site id (the stack id and output folder name). */
export const SITES: Readonly<Record<string, (scope: Construct) => BackupSite>> = {
  home: homeSite,
  homelab: homelabSite,
  colo: coloSite,
  shop: shopSite,
  'client-standard': clientStandardSite,
};
