import { BackupConfigError, NOT_SHOWN, Problem } from '../errors';
import { Size } from '../size';
import { DNS_SUBDOMAIN, EnvVar } from './manifest';

/**
 * A key of a Kubernetes Secret, handed to a container as an environment variable
 * (`valueFrom.secretKeyRef`). Credentials reach jobs only this way or as mounted files: the
 * value never appears in the synthesized output.
 *
 * @see https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables
 */
export class SecretRef {
  /** The key `key` of the Secret `secretName` in the job's namespace. */
  static fromSecret(secretName: string, key: string): SecretRef {
    const problems: Problem[] = [];
    if (!DNS_SUBDOMAIN.test(String(secretName))) problems.push({ field: 'secretName', message: `expected a Secret name (lower-case DNS subdomain), got ${NOT_SHOWN}`, hint: 'the name of the Kubernetes Secret, never the secret value itself' });
    if (!/^[-._a-zA-Z0-9]{1,253}$/.test(String(key))) problems.push({ field: 'key', message: `expected a Secret key of letters, digits, '-', '_' and '.', got ${NOT_SHOWN}`, hint: 'the key inside the Secret (such as password), never the secret value itself' });
    if (problems.length) throw new BackupConfigError('SecretRef', problems);
    return new SecretRef(secretName, key);
  }

  private constructor(
    readonly secretName: string,
    readonly key: string,
  ) {}

  /** The environment variable `name` read from this key. */
  toEnv(name: string): EnvVar {
    return { name, valueFrom: { secretKeyRef: { name: this.secretName, key: this.key } } };
  }

  /** For messages and REVIEW: `secret pg-credentials/password`. */
  toHumanString(): string {
    return `secret ${this.secretName}/${this.key}`;
  }
}

/** A Size as a Kubernetes quantity in the largest binary unit that divides it (`2Gi`, `512Mi`). */
export function toQuantity(size: Size): string {
  const bytes = size.toBytes();
  for (const [suffix, unit] of [['Ti', 1024 ** 4], ['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}
