/**
 * One row of a Markdown (GFM) table. Free text from the program (notes, names, thresholds)
 * lands in cells: a `|` in it would start a new cell and shift the rest of the row, and a
 * line break would end the row, so both are escaped here rather than trusted to every caller.
 */
export function tableRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')).join(' | ')} |`;
}
