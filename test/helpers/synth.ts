import * as fs from 'fs';
import * as path from 'path';
import { App, TerraformStack, Testing } from 'cdktf';
import { renderReviewTree, ReviewFile } from '../../constructs';
import { siteModelOf } from '../../constructs/private/site-anchor';
import type { SiteModel } from '../../lib/model/site-model';
import { tempDir } from './tools';

/** A fresh app in its own temporary outdir (cdktf leaves folders behind otherwise). */
export function freshApp(): App {
  return Testing.app({ outdir: tempDir('bc-app-') } as never) as App;
}

/** Synthesizes with validations (as `cdktf synth` does) and returns the parsed cdk.tf.json. */
export function synthJson(stack: TerraformStack): Record<string, any> {
  return JSON.parse(Testing.synth(stack, true));
}

/** The review tree of a stack as a map from relative path to file. */
export function reviewOf(stack: TerraformStack): Map<string, ReviewFile> {
  return new Map(renderReviewTree(siteModelOf(stack)).map((f) => [f.path, f]));
}

export function modelOf(stack: TerraformStack): SiteModel {
  return siteModelOf(stack);
}

/** Writes review files into a folder (for real tools that read files). */
export function writeTree(dir: string, files: Iterable<ReviewFile>): void {
  for (const f of files) {
    const target = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content, { mode: f.executable ? 0o755 : 0o644 });
  }
}

/** Every resource of one type in a synthesized stack. */
export function resourcesOf(json: Record<string, any>, type: string): Record<string, any> {
  return json.resource?.[type] ?? {};
}
