// `show stat` and the stats page's `;csv`: HAProxy's CSV, a `# ` header of
// every column name, then one line per row, each field followed by a comma
// (HAProxy ends every line with one), empty where the row has no value.
import { COLUMNS } from "./columns.ts";
import type { StatRow } from "./types.ts";

/** A field as HAProxy writes it: commas and line breaks would break the layout, so they become spaces. */
function field(value: string | number | undefined): string {
  if (value === undefined) return "";
  return typeof value === "number" ? String(value) : value.replace(/[,\r\n]/g, " ");
}

export function csvHeader(): string {
  return `# ${COLUMNS.map((c) => c.name).join(",")},`;
}

export function statCsv(rows: readonly StatRow[]): string {
  const lines = [csvHeader()];
  for (const row of rows) lines.push(COLUMNS.map((c) => field(row[c.name])).join(",") + ",");
  return lines.join("\n") + "\n\n";
}
