// Global keywords of edge configs (issue 19, edgeopts), as HAProxy 2.6 reads
// them; YAML writes the same names:
//
//   zero-warning                  the start (and `check`) fails when any
//                                 warning was emitted: HAProxy's own warnings
//                                 count, sluice's notices (where HAProxy says
//                                 nothing) do not. YAML: `zero-warning: true`.
//   tune.ssl.default-dh-param N   HAProxy's size of the DH parameters of DHE
//                                 key exchanges (N >= 1024, as HAProxy). Neither
//                                 runtime's TLS has DHE: Bun's node:tls and
//                                 Bun's native listener run on BoringSSL, which removed the
//                                 DHE cipher suites, and Deno's node:tls on
//                                 rustls, which offers no finite-field groups.
//                                 A client asking for DHE only is refused
//                                 (handshake failure) and every other one gets
//                                 ECDHE or TLS 1.3: no DH parameter is ever
//                                 used, so N is checked and said unused (a
//                                 notice, HAProxy says nothing).
import * as v from "valibot";
import { ConfigError, ConfigNotice } from "./errors.ts";
import { locate } from "./issues.ts";
import type { RawSegment } from "./raw.ts";
import { describe } from "./schema-values.ts";
import type { Origin } from "./types.ts";

/** HAProxy's floor for tune.ssl.default-dh-param. */
const DH_PARAM_MIN = 1024;

const ZeroWarning = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): boolean => {
    if (typeof dataset.value === "boolean") return dataset.value;
    addIssue({ message: `invalid zero-warning ${describe(dataset.value)} (expected true or false; haproxy.cfg: the bare keyword)` });
    return NEVER;
  }),
);

const DhParam = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }): number => {
    const x = dataset.value;
    const n = typeof x === "number" ? x : typeof x === "string" && /^\d+$/.test(x) ? Number(x) : NaN;
    if (Number.isInteger(n) && n >= DH_PARAM_MIN) return n;
    addIssue({ message: `'tune.ssl.default-dh-param' expects a value >= ${DH_PARAM_MIN} (got ${describe(x)})` });
    return NEVER;
  }),
);

export const EDGE_GLOBAL = {
  "zero-warning": v.optional(ZeroWarning),
  "tune.ssl.default-dh-param": v.optional(DhParam),
};

/** What these keywords set (GlobalConfig's fields). */
export interface EdgePart {
  zeroWarning?: boolean;
  dhParamBits?: number;
}

export function edgePart(g: { "zero-warning"?: boolean; "tune.ssl.default-dh-param"?: number }): EdgePart {
  const part: EdgePart = {};
  if (g["zero-warning"] !== undefined) part.zeroWarning = g["zero-warning"];
  if (g["tune.ssl.default-dh-param"] !== undefined) part.dhParamBits = g["tune.ssl.default-dh-param"];
  return part;
}

function globalOf(seg: RawSegment): Record<string, unknown> {
  const g = seg.doc.global;
  return typeof g === "object" && g !== null ? (g as Record<string, unknown>) : {};
}

/** The notice `tune.ssl.default-dh-param` deserves (both syntaxes), at its line. */
export function dhParamNotices(segments: readonly RawSegment[]): ConfigError[] {
  const out: ConfigError[] = [];
  for (const seg of segments) {
    const bits = globalOf(seg)["tune.ssl.default-dh-param"];
    if (bits === undefined) continue;
    out.push(
      new ConfigNotice(
        locate(seg, ["global", "tune.ssl.default-dh-param"], true),
        ["global"],
        `tune.ssl.default-dh-param ${String(bits)} sizes nothing: the runtime's TLS has no DHE key exchange (Bun: BoringSSL, Deno: rustls), so DHE-* ciphers are never negotiated; clients get ECDHE or TLS 1.3`,
      ),
    );
  }
  return out;
}

/** Where `zero-warning` was written (the last file's), or undefined when it is not on. */
export function zeroWarningAt(segments: readonly RawSegment[]): Origin | undefined {
  let at: Origin | undefined;
  for (const seg of segments) {
    const on = globalOf(seg)["zero-warning"];
    if (on === true) at = locate(seg, ["global", "zero-warning"], true);
    else if (on === false) at = undefined;
  }
  return at;
}

/**
 * `zero-warning`: the error that refuses a configuration with warnings
 * (HAProxy: "Some warnings were found and 'zero-warning' is set. Aborting."),
 * or undefined. Notices do not count.
 */
export function zeroWarningError(at: Origin | undefined, warnings: readonly ConfigError[]): ConfigError | undefined {
  if (at === undefined) return undefined;
  const counted = warnings.filter((w) => !(w instanceof ConfigNotice)).length;
  if (counted === 0) return undefined;
  return new ConfigError(
    at,
    ["global"],
    `zero-warning: ${counted} warning${counted === 1 ? " was" : "s were"} found (printed above) and 'zero-warning' is set: refusing the configuration, as HAProxy does`,
  );
}
