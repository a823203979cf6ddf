import { Construct } from 'constructs';
import { BackupSite } from '../constructs';
import { homeSite } from './home';
import { homelabSite } from './homelab';

/** Every site of this repository, by site id (the stack id and output folder name). */
export const SITES: Readonly<Record<string, (scope: Construct) => BackupSite>> = {
  home: homeSite,
  homelab: homelabSite,
};
