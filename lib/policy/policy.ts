import type { SiteModel } from '../model/site-model';
import type { FindingRecord } from '../model/types';

/** What a rule may read besides the model. */
export interface PolicyContext {
  /** Under a strict policy, rules that warn by default raise errors. */
  readonly strict: boolean;
}

/** One rule: reads the model, returns findings (each naming subject, rule and fix). */
export interface PolicyRule {
  readonly id: string;
  readonly description: string;
  check(model: SiteModel, ctx: PolicyContext): FindingRecord[];
}

/** A named set of rules a site turns on (the default pack is always on). */
export interface PolicyPack {
  readonly name: string;
  readonly rules: readonly PolicyRule[];
}

/** A finding silenced on purpose, with the reason a reviewer will read. */
export interface WaiverRecord {
  readonly rule: string;
  /** The finding's subject, exactly, or `*` for every subject of the rule. */
  readonly subject: string;
  readonly reason: string;
}

/** Policy settings of a site. */
export interface PolicySettings {
  readonly strict: boolean;
  readonly packs: readonly PolicyPack[];
  readonly waivers: readonly WaiverRecord[];
}

/** The outcome of every rule of every pack: active findings and waived ones. */
export interface PolicyOutcome {
  readonly findings: FindingRecord[];
  readonly waived: (FindingRecord & { readonly reason: string })[];
}

/** Runs every pack and applies waivers. */
export function evaluatePolicies(model: SiteModel, settings: PolicySettings): PolicyOutcome {
  const findings: FindingRecord[] = [];
  const waived: (FindingRecord & { reason: string })[] = [];
  for (const pack of settings.packs) {
    for (const rule of pack.rules) {
      for (const f of rule.check(model, { strict: settings.strict })) {
        const w = settings.waivers.find((x) => x.rule === f.rule && (x.subject === '*' || x.subject === f.subject));
        if (w) waived.push({ ...f, reason: w.reason });
        else findings.push(f);
      }
    }
  }
  return { findings, waived };
}

/** Severity of a rule that warns by default and errs under a strict policy. */
export function warnOrError(ctx: PolicyContext): 'warning' | 'error' {
  return ctx.strict ? 'error' : 'warning';
}
