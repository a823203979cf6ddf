import { DEFAULTS } from './defaults';

/** Both ask the kernel for a soft mount (`softerr` reports ETIMEDOUT instead of EIO). */
const SOFT = ['soft', 'softerr'];

/**
 * Why an explicit NFS mount option list mounts hard, or undefined when it mounts soft.
 *
 * Linux mounts NFS hard unless told `soft` (nfs(5)), so a list that leaves it out is as hard as
 * one that says `hard`; `bg` does not help, it only moves the first mount attempt to the
 * background, after which every access still waits for the server forever.
 *
 * @param hangs what a hard mount hangs when the server is gone, e.g. 'the hypervisor'
 * @see https://man7.org/linux/man-pages/man5/nfs.5.html
 */
export function hardNfsMount(options: readonly string[], hangs: string): string | undefined {
  const hard = options.includes('hard');
  if (!hard && options.some((o) => SOFT.includes(o))) return undefined;
  return hard
    ? `'hard' hangs ${hangs} when the NFS server is off${options.includes('bg') ? " ('bg' only backgrounds the first mount attempt)" : ''}`
    : `without 'soft' Linux mounts hard (the nfs(5) default), which hangs ${hangs} when the NFS server is off`;
}

/**
 * The hint for a list {@link hardNfsMount} refuses: the list with `hard` dropped and `soft` and
 * the default timeouts added, so the user's other options (vers=4.1) survive the fix.
 *
 * @param given the option list as given in props, which may not have been checked yet
 */
export function softNfsMountHint(field: string, given: unknown): string {
  const options = Array.isArray(given) ? given.filter((o): o is string => typeof o === 'string') : [];
  const names = new Set(options.map(optionName));
  const suggestion = [
    'soft',
    ...DEFAULTS.nfsMountOptions.filter((o) => !SOFT.includes(o) && !names.has(optionName(o))),
    ...options.filter((o) => o !== 'hard' && !SOFT.includes(o)),
  ];
  return `add 'soft' with timeouts, ${field}: [${suggestion.map((o) => `'${o}'`).join(', ')}], or omit ${field} for the default ${DEFAULTS.nfsMountOptions.join(',')}`;
}

function optionName(option: string): string {
  return option.split('=')[0];
}
