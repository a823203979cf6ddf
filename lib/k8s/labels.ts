import { z } from 'zod';

/**
 * Kubernetes label syntax, checked at synth: a bad key or value is otherwise written into
 * cdk.tf.json as given and only refused by the API server in the middle of an apply.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 */
const NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const PREFIX = '(?=[^/]{1,253}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/';
const LABEL_KEY = new RegExp(`^(${PREFIX})?${NAME}$`);
const LABEL_VALUE = new RegExp(`^(${NAME})?$`);

/** A label (or taint) key: `app`, `kubernetes.io/hostname`. */
export const K8S_LABEL_KEY = z.string().regex(LABEL_KEY, 'expected a label key such as app or kubernetes.io/hostname (up to 63 letters, digits, - _ ., after an optional DNS prefix and /)');
/** A label (or taint) value: empty, or up to 63 letters, digits, `-_.`, starting and ending with a letter or digit. */
export const K8S_LABEL_VALUE = z.string().regex(LABEL_VALUE, 'expected a label value of up to 63 letters, digits, - _ . (starting and ending with a letter or digit), or nothing');
/** A map of labels, as in a selector or an object's metadata. */
export const K8S_LABELS = z.record(K8S_LABEL_KEY, K8S_LABEL_VALUE);
