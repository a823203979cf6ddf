import * as fs from 'fs';
import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { Aspects, TerraformStack } from 'cdktf';
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import { DEFAULT_SITE_SETTINGS } from '../../lib/defaults';
import { SiteModel, SiteSettings } from '../../lib/model/site-model';
import { renderReviewTree } from '../../lib/review/review-tree';
import { sharedClusterFindings, sharedMachineFindings } from '../../lib/model/shared-hosts';

const ANCHOR_ID = 'BackupSiteModel';

/**
 * Holds a stack's site model and writes the review tree beside `cdk.tf.json` when the stack
 * synthesizes, so `cdktf synth`, `cdktf deploy` and `npm run synth` all produce it.
 */
export class SiteAnchor extends Construct {
  readonly model: SiteModel;
  private readonly finalizers: (() => void)[] = [];
  private readonly members = new Map<string, IConstruct[]>();
  private finalized = false;
  private reviewPrepared = false;
  private readonly beforeReviewChecks: (() => void)[] = [];

  constructor(stack: TerraformStack, settings: SiteSettings) {
    super(stack, ANCHOR_ID);
    this.model = new SiteModel(stack.node.id, settings);
    // Aspects run when the stack synthesizes, after every construct of the program exists:
    // the moment to build what is derived from the whole site (alert rules, their delivery).
    Aspects.of(stack).add({
      visit: (node) => {
        if (node === stack) this.complete();
      },
    });
    this.node.addValidation({ validate: () => this.model.validate() });
    addCustomSynthesis(this, {
      onSynthesize: (session) => {
        this.prepareReview(stack);
        const stackDir = path.join(session.outdir, session.manifest.forStack(stack).workingDirectory);
        writeReviewTree(path.join(stackDir, 'review'), this.model);
      },
    });
  }

  /** Runs the site's finalizers now (once), so another site can see everything it installs. */
  complete(): void {
    if (this.finalized) return;
    this.finalized = true;
    for (const f of this.finalizers) f();
  }

  /** Runs a check once every construct of the site has installed what it installs, before the review is written. */
  addBeforeReview(fn: () => void): void {
    this.beforeReviewChecks.push(fn);
  }

  /**
   * The findings that need the whole program: the checks registered with `beforeReview`, and
   * what this site and another of the same program both manage on one machine.
   */
  private prepareReview(stack: TerraformStack): void {
    if (this.reviewPrepared) return;
    this.reviewPrepared = true;
    for (const check of this.beforeReviewChecks) check();
    const others = otherSiteAnchors(stack);
    for (const other of others) other.complete();
    const otherModels = others.map((o) => o.model);
    for (const f of [...sharedMachineFindings(this.model, otherModels), ...sharedClusterFindings(this.model, otherModels)]) this.model.addFinding(f);
  }

  addFinalizer(fn: () => void): void {
    this.finalizers.push(fn);
  }

  addMember(kind: string, c: IConstruct): void {
    const list = this.members.get(kind);
    if (list) list.push(c);
    else this.members.set(kind, [c]);
  }

  membersOf(kind: string): readonly IConstruct[] {
    return this.members.get(kind) ?? [];
  }
}

/**
 * Runs `fn` once at synth, when every construct of the site exists (for outputs derived from
 * the whole model).
 */
export function onSiteComplete(scope: IConstruct, fn: () => void): void {
  anchorOf(scope).addFinalizer(fn);
}

function anchorOf(scope: IConstruct): SiteAnchor {
  siteModelOf(scope);
  return TerraformStack.of(scope).node.findChild(ANCHOR_ID) as SiteAnchor;
}

/** Runs `fn` at synth after every finalizer, just before the review tree is rendered (for findings about the finished site). */
export function beforeReview(scope: IConstruct, fn: () => void): void {
  anchorOf(scope).addBeforeReview(fn);
}

/** Records a construct of a kind in its site, so others find it without walking the tree. */
export function registerMember(kind: string, c: IConstruct): void {
  anchorOf(c).addMember(kind, c);
}

/** The constructs of a kind registered in the site `scope` is in, in creation order. */
export function membersOf<T extends IConstruct>(scope: IConstruct, kind: string): T[] {
  return [...anchorOf(scope).membersOf(kind)] as T[];
}

/** The site model of the stack that `scope` is in, created on first use. */
export function siteModelOf(scope: IConstruct, settings?: SiteSettings): SiteModel {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(ANCHOR_ID) as SiteAnchor | undefined;
  if (existing) {
    if (settings) existing.model.settings = settings;
    return existing.model;
  }
  return new SiteAnchor(stack, settings ?? DEFAULT_SITE_SETTINGS).model;
}

/** The other sites of the same program (stacks of the same app). */
function otherSiteAnchors(stack: TerraformStack): SiteAnchor[] {
  return (stack.node.scope?.node.children ?? []).flatMap((c) => {
    const anchor = c === stack ? undefined : c.node.tryFindChild(ANCHOR_ID);
    return anchor instanceof SiteAnchor ? [anchor] : [];
  });
}

function writeReviewTree(dir: string, model: SiteModel): void {
  // Start from an empty folder so a file removed from the site disappears from the review.
  fs.rmSync(dir, { recursive: true, force: true });
  const made = new Set<string>();
  for (const file of renderReviewTree(model)) {
    const target = path.join(dir, file.path);
    const parent = path.dirname(target);
    if (!made.has(parent)) {
      fs.mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    fs.writeFileSync(target, file.content, { mode: file.executable ? 0o755 : 0o644 });
  }
}
