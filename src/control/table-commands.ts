// Stick tables on the runtime API, as HAProxy 2.6 answers (stick_table.c):
//   show table                      one header line per table
//   show table NAME [filter]...     its header, then one line per entry:
//     0x1a: key=127.0.0.1 use=0 exp=26980 gpc0=0 http_req_rate(10000)=1
//   clear table NAME [filter]...    removes the entries (not those in use)
// A filter is `key K` or `data.COUNTER OP VALUE` (OP: eq ne le ge lt gt).
// Below operator level, `show table NAME` shows the header only.
import type { StickEntry, StickTable } from "../stick/types.ts";
import { allows, type Command, type ControlContext, PERMISSION_DENIED, say } from "./commands.ts";

/** HAProxy's order of stored data (its STKTABLE_DT_* enum), in which an entry's counters are printed. */
const DATA_ORDER = [
  "server_id", "gpc0", "gpc0_rate", "conn_cnt", "conn_rate", "conn_cur", "sess_cnt", "sess_rate",
  "http_req_cnt", "http_req_rate", "http_err_cnt", "http_err_rate", "bytes_in_cnt", "bytes_in_rate",
  "bytes_out_cnt", "bytes_out_rate", "gpc1", "gpc1_rate",
];
const KNOWN = new Set(DATA_ORDER);
const OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  le: (a, b) => a <= b,
  ge: (a, b) => a >= b,
  lt: (a, b) => a < b,
  gt: (a, b) => a > b,
};

type Filter = { key: string } | { counter: string; op: (a: number, b: number) => boolean; value: number };

/** The entries' ids in `show table` (HAProxy prints a pointer): stable while an entry lives. */
const entryIds = new WeakMap<StickEntry, number>();
let nextEntryId = 1;

function entryId(e: StickEntry): string {
  let id = entryIds.get(e);
  if (id === undefined) entryIds.set(e, (id = nextEntryId++));
  return `0x${id.toString(16)}`;
}

function header(t: StickTable): string {
  return `# table: ${t.spec.name}, type: ${t.spec.type}, size:${t.spec.size}, used:${t.size}\n`;
}

/** The filters after the table's name, or HAProxy's complaint. */
function parseFilters(t: StickTable, words: readonly string[], action: "show" | "clear"): Filter[] | string {
  const out: Filter[] = [];
  for (let i = 0; i < words.length;) {
    const w = words[i]!;
    if (w === "key") {
      const key = words[i + 1];
      if (key === undefined) return say("Key value expected");
      out.push({ key });
      i += 2;
      continue;
    }
    if (!w.startsWith("data.")) {
      return say(action === "show"
        ? 'Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>'
        : 'Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>');
    }
    const n = out.length + 1;
    const counter = w.slice(5);
    const base = counter.replace(/\(.*\)$/, "");
    if (!KNOWN.has(base)) return say(`Filter entry #${n}: Unknown data type`);
    if (!t.spec.store.some((c) => c.counter === base)) return say(`Filter entry #${n}: Data type not stored in this table`);
    const op = OPERATORS[words[i + 1] ?? ""];
    if (op === undefined) return say(`Filter entry #${n}: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"`);
    const value = words[i + 2];
    if (value === undefined || !/^-?\d+$/.test(value)) return say(`Filter entry #${n}: Require a valid integer value to compare against`);
    out.push({ counter: base, op, value: Number(value) });
    i += 3;
  }
  return out;
}

function matches(t: StickTable, e: StickEntry, filters: readonly Filter[], now: number): boolean {
  for (const f of filters) {
    if ("key" in f) {
      if (t.normalize(f.key) !== e.key) return false;
    } else {
      const v = e.read(f.counter, now);
      if (v === undefined || !f.op(v, f.value)) return false;
    }
  }
  return true;
}

function entryLine(t: StickTable, e: StickEntry, now: number): string {
  const key = t.spec.type === "binary" ? [...String(e.key)].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("") : String(e.key);
  const exp = Number.isFinite(e.expiresAt) ? Math.max(0, Math.round(e.expiresAt - now)) : 0;
  let line = `${entryId(e)}: key=${key} use=${e.refCount} exp=${exp}`;
  for (const name of DATA_ORDER) {
    const spec = t.spec.store.find((c) => c.counter === name);
    if (spec === undefined) continue;
    const v = e.read(name, now) ?? 0;
    line += spec.periodMs === undefined ? ` ${name}=${Math.floor(v)}` : ` ${name}(${spec.periodMs})=${Math.floor(v)}`;
  }
  return `${line}\n`;
}

function tableOf(ctx: ControlContext, name: string | undefined): StickTable | undefined {
  return name === undefined ? undefined : ctx.proxy.stickTables?.store.table(name);
}

export const TABLE_COMMANDS: readonly Command[] = [
  {
    words: ["show", "table"],
    usage: "show table <table> [<filter>]*",
    help: "report table usage stats or dump this table's contents (filter: data/key)",
    level: "user",
    run(call, ctx) {
      const store = ctx.proxy.stickTables?.store;
      if (call.args.length === 0) {
        let out = "";
        if (store !== undefined) for (const t of store.tables()) out += header(t);
        return out;
      }
      const t = tableOf(ctx, call.args[0]);
      if (t === undefined) return say("No such table");
      const filters = parseFilters(t, call.args.slice(1), "show");
      if (typeof filters === "string") return filters;
      if (!allows(call.level, "operator")) return `${header(t)}# contents not dumped due to insufficient privileges\n`;
      const now = ctx.proxy.clock.tick();
      let out = header(t);
      for (const e of t.entries(now)) if (matches(t, e, filters, now)) out += entryLine(t, e, now);
      return out;
    },
  },
  {
    words: ["clear", "table"],
    usage: "clear table <table> [<filter>]*",
    help: "remove an entry from a table (filter: data/key)",
    level: "user",
    run(call, ctx) {
      if (call.args.length === 0) return say('Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>');
      const t = tableOf(ctx, call.args[0]);
      if (t === undefined) return say("No such table");
      const filters = parseFilters(t, call.args.slice(1), "clear");
      if (typeof filters === "string") return filters;
      if (!allows(call.level, "operator")) return PERMISSION_DENIED;
      if (filters.length === 0) {
        t.clear();
        return "";
      }
      const now = ctx.proxy.clock.tick();
      const gone = [...t.entries(now)].filter((e) => matches(t, e, filters, now));
      for (const e of gone) t.remove(e.key);
      return "";
    },
  },
];
