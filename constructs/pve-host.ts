import { Construct } from 'constructs';
import type { PveSectionRecord } from '../lib/model/types';
import { Host, HostProps } from './host';

/** Props of {@link PveHost}. */
export interface PveHostProps extends HostProps {}

/**
 * A Proxmox VE node. Storages and backup jobs attached to it are applied with Proxmox's own
 * tools (`pvesm`, `pvesh`), one entry at a time, never by overwriting `/etc/pve/*.cfg`.
 */
export class PveHost extends Host {
  constructor(scope: Construct, id: string, props: PveHostProps) {
    super(scope, id, props, 'proxmox');
  }

  /** Records a cfg section for the review tree (`review/pve/<host>/<file>`). */
  registerSection(section: Omit<PveSectionRecord, 'host'>): void {
    this.model.addPveSection({ ...section, host: this.name });
  }
}
