import { z } from 'zod';

/** No control characters: a carriage return, tab or line break would split or change the line a value lands in (a cfg line, a unit, an inventory row). */
// eslint-disable-next-line no-control-regex
export const NO_CONTROL_CHARACTERS = /^[^\x00-\x1f\x7f]*$/;

/** One line of text, not blank; `blank` is the message for text of only whitespace. */
export function oneLineText(blank: string) {
  return z
    .string()
    .regex(NO_CONTROL_CHARACTERS, 'expected one line without control characters')
    .refine((v) => v.trim() !== '', blank);
}

/**
 * Free text that must stay on one line (a REVIEW.md table row, an item of a runbook's list):
 * `message` says where it lands, `hint` how to write it instead.
 */
export function oneLineString(message: string, hint: string) {
  return z.string().refine((v) => NO_CONTROL_CHARACTERS.test(v), { message, params: { hint } });
}

/** An asset's notes (a guest, an external backup): they fill a cell of REVIEW.md's copies table. */
export const ASSET_NOTES = oneLineString(
  "expected one line without control characters (the notes fill a cell of REVIEW.md's copies table, where a line break would end the row)",
  'write the notes on one line, e.g. with ; between parts',
);

/**
 * A restore step for a job's runbook and full-restore.md: strict, so a misspelt `titel` is
 * refused rather than written into model.json as it is. `asset` ties the step to one asset.
 */
export const RESTORE_STEP = z
  .object({
    asset: z.string().optional(),
    title: oneLineText('expected a title, not only whitespace'),
    notes: z.array(z.string()).optional(),
    commands: z.array(z.string()),
  })
  .strict();
