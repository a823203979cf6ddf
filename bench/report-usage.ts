/**
 * Preloaded into every benchmark child with `node -r`: when the process exits it writes its
 * peak resident set size to the file named by `BENCH_USAGE_FILE`.
 *
 * A preload (rather than code in each entry point) measures `dist/main.js`, the seed sites'
 * entry point, exactly as users run it, without changing main.ts. `maxRSS` covers the whole
 * process (Node, cdktf, the library and synthesis), which is what a user's machine pays.
 */
import * as fs from 'fs';

/** What a child reports to the parent (bench/run.ts). */
export interface ChildUsage {
  /** `process.resourceUsage().maxRSS`: peak resident set size in kilobytes (KiB). */
  readonly maxRssKb: number;
  /** Milliseconds since the process started at which each phase ended, in order. */
  readonly phases: readonly { readonly name: string; readonly endMs: number }[];
}

const phases: { name: string; endMs: number }[] = [{ name: 'node start-up', endMs: performance.now() }];

/** Records the end of a phase of the child (shown as the bench's breakdown of where time goes). */
export function endPhase(name: string): void {
  phases.push({ name, endMs: performance.now() });
}

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  // 'exit' listeners must be synchronous; writeFileSync is. It also fires on process.exit(n).
  process.on('exit', () => {
    const usage: ChildUsage = { maxRssKb: process.resourceUsage().maxRSS, phases };
    fs.writeFileSync(file, JSON.stringify(usage));
  });
}
