// `;json` and `show stat json`: HAProxy's typed JSON, one array per row of
// the fields it has, each with its position and name, its tags (origin,
// nature, scope) and a typed value (`show info json`: info-format.ts).
import { COLUMNS } from "./columns.ts";
import type { StatRow } from "./types.ts";

const OBJ_TYPES = ["Frontend", "Backend", "Server"] as const;
/** Columns that describe the proxy or server itself rather than this process's view of it. */
const SERVICE_SCOPE = new Set(["pxname", "svname", "iid", "sid", "type", "mode"]);

export interface JsonField {
  objType: string;
  proxyId: number;
  id: number;
  field: { pos: number; name: string };
  processNum: number;
  tags: { origin: string; nature: string; scope: string };
  value: { type: string; value: string | number };
}

export function statJson(rows: readonly StatRow[]): JsonField[][] {
  return rows.map((row) => {
    const objType = OBJ_TYPES[Number(row.type)] ?? "Frontend";
    const proxyId = Number(row.iid ?? 0);
    const id = Number(row.sid ?? 0);
    const processNum = Number(row.pid ?? 1);
    const out: JsonField[] = [];
    COLUMNS.forEach((c, pos) => {
      const value = row[c.name];
      if (value === undefined) return;
      out.push({
        objType,
        proxyId,
        id,
        field: { pos, name: c.name },
        processNum,
        tags: { origin: c.origin, nature: c.nature, scope: SERVICE_SCOPE.has(c.name) ? "Service" : "Process" },
        value: { type: typeof value === "string" ? "str" : c.type === "str" ? "u64" : c.type, value },
      });
    });
    return out;
  });
}
