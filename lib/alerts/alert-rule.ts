/** One series of a promtool test: a selector with labels and a values expression. */
export interface TestSeries {
  readonly series: string;
  readonly values: string;
}

/** A promtool case: with these series, at this time, these alerts (by their extra labels) fire. */
export interface AlertCase {
  readonly series: readonly TestSeries[];
  readonly evalMinutes: number;
  /** Input series interval and evaluation step. */
  readonly stepMinutes: number;
  /** Labels of each firing alert beyond the rule's own; empty list means silent. */
  readonly firing: readonly Readonly<Record<string, string>>[];
}

/** A Prometheus alerting rule with what it watches, its runbook and its own test cases. */
export interface AlertRule {
  readonly name: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly description: string;
  /** Runbook file name without `.md`, under review/runbooks/. */
  readonly runbook: string;
  /** What to do, for a site-level alert's runbook (markdown). */
  readonly runbookBody?: string;
  /** Metrics the expression reads. */
  readonly watches: readonly string[];
  /** The job it watches, or undefined for site-level alerts. */
  readonly job?: string;
  /** Threshold in words for REVIEW.md (`26h (derived)`). */
  readonly threshold: string;
  readonly cases: readonly AlertCase[];
}

/** Prometheus label-value quoting. */
export function q(value: string): string {
  return JSON.stringify(value);
}

/** `{a="1",b="2"}` from a record, in the given order. */
export function selector(labels: Readonly<Record<string, string>>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${q(v)}`)
    .join(',')}}`;
}
