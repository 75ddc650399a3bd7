// The stick-table data types of HAProxy's peers protocol: their numbers (the
// bits of a table definition's bitfield and the order values travel in), how
// each is encoded, and which sluice counter each one is (stick/layout.ts).
// Numbers as HAProxy's STKTABLE_DT_* (include/haproxy/stick_table-t.h); a
// peer sends every type its table stores, so the receiver must know how to
// skip the ones it does not keep (server_key, the gpt/gpc arrays, glitches).

/** How a value is written: an integer; a frequency counter (3 integers); a dictionary entry (server_key). */
export type WireKind = "int" | "freq" | "dict";

export interface WireType {
  readonly id: number;
  readonly name: string;
  readonly kind: WireKind;
  /** An array type (gpt, gpc, gpc_rate): its element count comes with the table definition. */
  readonly array: boolean;
}

const T = (id: number, name: string, kind: WireKind, array = false): WireType => ({ id, name, kind, array });

/** Every data type a peer of HAProxy 2.6 to 3.x may announce, by number. */
export const WIRE_TYPES: readonly WireType[] = [
  T(0, "server_id", "int"),
  T(1, "gpt0", "int"),
  T(2, "gpc0", "int"),
  T(3, "gpc0_rate", "freq"),
  T(4, "conn_cnt", "int"),
  T(5, "conn_rate", "freq"),
  T(6, "conn_cur", "int"),
  T(7, "sess_cnt", "int"),
  T(8, "sess_rate", "freq"),
  T(9, "http_req_cnt", "int"),
  T(10, "http_req_rate", "freq"),
  T(11, "http_err_cnt", "int"),
  T(12, "http_err_rate", "freq"),
  T(13, "bytes_in_cnt", "int"),
  T(14, "bytes_in_rate", "freq"),
  T(15, "bytes_out_cnt", "int"),
  T(16, "bytes_out_rate", "freq"),
  T(17, "gpc1", "int"),
  T(18, "gpc1_rate", "freq"),
  T(19, "server_key", "dict"),
  T(20, "http_fail_cnt", "int"),
  T(21, "http_fail_rate", "freq"),
  T(22, "gpt", "int", true),
  T(23, "gpc", "int", true),
  T(24, "gpc_rate", "freq", true),
  T(25, "glitch_cnt", "int"),
  T(26, "glitch_rate", "freq"),
];

/** The wire number of a counter sluice stores (stick/layout.ts names), or undefined. */
export function wireIdOf(counter: string): number | undefined {
  return WIRE_TYPES.find((t) => t.name === counter && !t.array)?.id;
}

/**
 * Counters a peer never takes from another: conn_cur counts the sender's own
 * connections (HAProxy's stick_table.c marks it `is_local`), so a remote value
 * would be wrong here; it is still sent, as HAProxy sends it.
 */
export const LOCAL_ONLY: ReadonlySet<string> = new Set(["conn_cur"]);
