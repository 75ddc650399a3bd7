// The frontend lines of the rules benchmark's rows, shared by the socket
// benchmark beside HAProxy (bench/rules.ts) and the in-process one
// (bench/engine.ts --row): the same rules in both.
export type RuleRow = "none" | "rules" | "rate-limit";

/**
 * none: no rules. rules: 20 ACL-guarded http-request rules (none matches) and
 * 5 use_backend lines, the last of which matches /small. rate-limit: a
 * per-address request rate, tracked and compared with a limit never reached.
 */
export function ruleRowLines(row: RuleRow): { fe: string[]; backends: string[] } {
  const fe: string[] = [];
  const backends = ["be"];
  if (row === "rules") {
    for (let i = 0; i < 20; i++) {
      fe.push(`acl blocked_${i} path_beg /blocked/${i}/`);
      fe.push(i % 2 === 0 ? `http-request deny if blocked_${i}` : `http-request set-header X-Rule-${i} yes if blocked_${i} { hdr(x-probe-${i}) -m found }`);
    }
    for (let i = 0; i < 4; i++) {
      fe.push(`use_backend app${i} if { path_beg /app${i}/ } || { hdr(host) -i app${i}.example.test }`);
      backends.push(`app${i}`);
    }
    fe.push(`use_backend last if { path_beg /small }`);
    backends.push("last");
  }
  if (row === "rate-limit") {
    fe.push("stick-table type ip size 100k expire 30s store http_req_rate(10s)");
    fe.push("http-request track-sc0 src");
    fe.push("http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100000000 }");
  }
  return { fe, backends };
}
