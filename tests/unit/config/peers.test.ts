// `peers` sections, `localpeer`, `-L` and `stick-table ... peers` (issue 19),
// in both syntaxes: which peer is this process (HAProxy's choice), HAProxy's
// warning when none is, the bind/server form of HAProxy 2.x, tables declared
// in the section (named "<section>/<table>" in rules), and the errors.
import { describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });

const FRONT = [
  "defaults",
  "    mode http",
  "frontend web",
  "    bind :80",
  "    stick-table type ip size 1k expire 1m store http_req_cnt peers mesh",
  "    http-request track-sc0 src",
  "    http-request track-sc1 req.hdr(x-user) table mesh/users",
  "    http-request return status 200",
];

describe("peers sections in haproxy.cfg", () => {
  test("peer lines; the local peer named by localpeer; the section's tables named <section>/<table>", () => {
    const c = loadOk(cfg(
      "global",
      "    localpeer web1",
      "peers mesh",
      "    peer web1 127.0.0.1:10000",
      "    peer web2 10.0.0.2:10001",
      "    table users type string len 64 size 10k expire 5m store gpc0,http_req_rate(10s)",
      ...FRONT,
    ));
    expect(c.peers).toEqual([{
      name: "mesh",
      localName: "web1",
      listen: { host: "127.0.0.1", port: 10000 },
      remotes: [{ name: "web2", host: "10.0.0.2", port: 10001 }],
      tables: [{ name: "mesh/users", sharedName: "/users", peers: "mesh", type: "string", len: 64, size: 10240, expireMs: 300000, store: [{ counter: "gpc0" }, { counter: "http_req_rate", periodMs: 10000 }] }],
    }]);
    expect(c.peerTables?.map((t) => t.name)).toEqual(["mesh/users"]);
    expect(c.frontends[0]!.stickTable?.peers).toBe("mesh");
  });

  test("HAProxy 2.x's form: bind for the local peer, server without an address for it", () => {
    const c = loadOk(cfg(
      "global",
      "    localpeer me",
      "peers mesh",
      "    bind 127.0.0.1:10002",
      "    server me",
      "    server other 127.0.0.1:10003",
      "    table users type string size 10",
      ...FRONT,
    ));
    expect(c.peers?.[0]).toMatchObject({ localName: "me", listen: { host: "127.0.0.1", port: 10002 }, remotes: [{ name: "other", port: 10003 }] });
    // A string table without len: HAProxy's 32-byte key with its NUL, so 31 characters.
    expect(c.peerTables?.[0]?.len).toBe(31);
  });

  test("-L names the local peer over localpeer; without either, the host's name does", () => {
    const text = cfg("global", "    localpeer web1", "peers mesh", "    peer web1 127.0.0.1:10000", "    peer web2 127.0.0.1:10001", "    table users type ip size 10", ...FRONT);
    const r = loadConfigTexts([text], { localPeer: "web2" });
    expect(r.ok && r.config.peers?.[0]).toMatchObject({ localName: "web2", listen: { port: 10001 }, remotes: [{ name: "web1" }] });
    const host = loadConfigTexts([cfg("peers mesh", `    peer ${hostname()} 127.0.0.1:10000`, "    table users type ip size 10", ...FRONT)]);
    expect(host.ok && host.config.peers?.[0]?.localName).toBe(hostname());
  });

  test("no peer of the local name: HAProxy's warning, the section removed, its tables kept for the rules", () => {
    const sources = [cfg("global", "    localpeer nobody", "peers mesh", "    peer local 127.0.0.1:10000", "    table users type ip size 10", ...FRONT)];
    expect(warningsOf(...sources)).toContain("sluice.cfg:3: Removing incomplete section 'peers mesh' (no peer named 'nobody').");
    const c = loadOk(...sources);
    expect(c.peers).toBeUndefined();
    expect(c.peerTables?.map((t) => t.name)).toEqual(["mesh/users"]);
  });

  test("disabled: nothing synchronised, with a warning; enabled: as written", () => {
    const base = ["global", "    localpeer a", "peers mesh", "    peer a 127.0.0.1:10000"];
    expect(warningsOf(cfg(...base, "    disabled", "    table users type ip size 10", ...FRONT))).toContain("sluice.cfg:3: peers section 'mesh' is disabled: its tables are not synchronised");
    expect(loadOk(cfg(...base, "    enabled", "    table users type ip size 10", ...FRONT)).peers?.length).toBe(1);
  });

  test("errors name file and line", () => {
    expect(errorsOf(cfg("peers mesh", "    nameserver dns 127.0.0.1:53"))).toEqual([
      "sluice.cfg:2: peers 'mesh': unknown keyword 'nameserver' in a peers section (expected peer, server, bind, table, disabled or enabled)",
    ]);
    expect(errorsOf(cfg("peers mesh", "    peer a"))).toEqual(["sluice.cfg:2: peers 'mesh': 'peer a' needs an address (usage: peer <name> <addr>:<port>)"]);
    expect(errorsOf(cfg("peers mesh", "    shards 3"))).toEqual(["sluice.cfg:2: peers 'mesh': 'shards' is not supported: HAProxy 2.6 has no shards either (HAProxy 2.9+)"]);
    expect(errorsOf(cfg("global", "    localpeer a", "peers mesh", "    server a", "    server b 127.0.0.1:1"))).toEqual([
      "sluice.cfg:3: peers 'mesh': peers section 'mesh': the local peer 'a' has no address (give it one, or a 'bind' line)",
    ]);
    expect(errorsOf(cfg("peers mesh", "    peer a 127.0.0.1:1", "    peer a 127.0.0.1:2"))[0]).toContain("peer 'a' declared twice");
    expect(errorsOf(cfg("peers mesh", "    table t type ip"))[0]).toContain("table 't': missing size");
    expect(errorsOf(cfg("defaults", "    mode http", "frontend web", "    bind :80", "    stick-table type ip size 10 peers nowhere"))).toEqual([
      "sluice.cfg:3: frontend 'web': stick-table: unknown peers section 'nowhere'",
    ]);
  });
});

describe("peers sections in YAML", () => {
  test("the YAML twin reads as the haproxy.cfg lines", () => {
    const fromCfg = loadOk(cfg(
      "global",
      "    localpeer web1",
      "peers mesh",
      "    peer web1 127.0.0.1:10000",
      "    peer web2 10.0.0.2:10001",
      "    table users type string len 64 size 10k expire 5m store gpc0",
      "defaults",
      "    mode http",
      "frontend web",
      "    bind :80",
      "    stick-table type ip size 1k peers mesh",
      "    http-request return status 200",
    ));
    const fromYaml = loadOk(yaml(
      "global:",
      "  localpeer: web1",
      "peers:",
      "  mesh:",
      "    peers: { web1: \"127.0.0.1:10000\", web2: \"10.0.0.2:10001\" }",
      "    tables: { users: \"type string len 64 size 10k expire 5m store gpc0\" }",
      "defaults:",
      "  mode: http",
      "frontends:",
      "  web:",
      "    bind: \":80\"",
      "    stick-table: \"type ip size 1k peers mesh\"",
      "    http-request: [\"return status 200\"]",
    ));
    expect(withoutOrigins(fromYaml.peers)).toEqual(withoutOrigins(fromCfg.peers));
    expect(fromYaml.frontends[0]!.stickTable).toEqual(fromCfg.frontends[0]!.stickTable);
  });

  test("a bad YAML section says where", () => {
    expect(errorsOf(yaml("peers:", "  mesh:", "    peers: 3"))[0]).toContain("invalid peers 3");
    expect(errorsOf(yaml("peers:", "  mesh:", "    shards: 3"))[0]).toContain("unknown keyword 'shards' in a peers section");
  });
});
