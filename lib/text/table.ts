/**
 * Plain-text tables for outputs, errors and ledger lines. No imports: dynamic providers that
 * call it serialize it with their code.
 */

/** Rows as aligned plain-text columns (the last column unpadded), for outputs and errors. */
export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
