// ACL patterns as references of the configuration (rules/acl.ts aclRefs,
// rules/match/map-ref.ts): a -f file shared by every ACL naming it, each ACL
// line's own values a reference too; a change is checked against each
// reader's match method and seen by the next evaluation; ids follow the
// configuration's order (MapRegistry.number), as HAProxy numbers them.
import { describe, expect, test } from "bun:test";
import { aclRefs, compileAcl, parseAcl } from "../../../src/rules/acl.ts";
import { MapRegistry } from "../../../src/rules/match/map-ref.ts";
import { type CompileEnv, Stage } from "../../../src/rules/types.ts";
import { request, txn } from "./txn.ts";

const FILES: Record<string, string> = { "nets.lst": "10.0.0.0/8\n# a comment\n  192.168.0.0/16\n", "words.lst": "admin\n" };

function env(registry: MapRegistry, line: { at: number }): CompileEnv {
  return {
    readFile: (p) => FILES[p]!,
    hasTable: () => false,
    ownTable: undefined,
    hasBackend: () => true,
    mapRef: (file, parse, kind = "map", label = kind) =>
      registry.ref(file, file, label === "" ? "" : `${label} at file 'x.cfg' line ${line.at}`, () => parse(FILES[file]!), kind, line.at),
    inlineRef: (what, values) => registry.inline(`${what} file 'x.cfg' line ${line.at}`, values, line.at),
    position: () => line.at,
  };
}

function acl(words: string) {
  const parsed = parseAcl(words.split(" "));
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

const txnWithPath = (path: string) => txn({ request: request("GET", path) });

describe("ACL references", () => {
  test("a -f file read once for every ACL naming it, each line's values a reference of their own, ids in the configuration's order", () => {
    const registry = new MapRegistry();
    const line = { at: 20 };
    const e = env(registry, line);
    // Compiled out of order (sluice reads a proxy's ACL lines before its rules): numbered by line afterwards.
    aclRefs(acl("src -f nets.lst"), e);
    line.at = 10;
    aclRefs(acl("path_beg /a /b"), e);
    line.at = 30;
    aclRefs(acl("src -f nets.lst 192.168.0.1"), e);
    registry.number();
    expect(registry.all("acl").map((r) => `${r.id} (${r.file}) ${r.describe()} ${r.entries.length}`)).toEqual([
      "0 () acl 'path_beg' file 'x.cfg' line 10 2",
      "1 (nets.lst) pattern loaded from file 'nets.lst' used by acl at file 'x.cfg' line 20, by acl at file 'x.cfg' line 30 2",
      "2 () acl 'src' file 'x.cfg' line 20 0",
      "3 () acl 'src' file 'x.cfg' line 30 1",
    ]);
    expect(registry.find("nets.lst")!.entries.map((x) => x.key)).toEqual(["10.0.0.0/8", "192.168.0.0/16"]);
    expect(registry.all("map")).toEqual([]);
  });

  test("a change reaches the compiled ACL at its next evaluation; what its method cannot read is refused whole", () => {
    const registry = new MapRegistry();
    const e = env(registry, { at: 1 });
    const parsed = acl("path_beg -i /a");
    const term = compileAcl(parsed, Stage.httpRequest, e);
    if (typeof term === "string") throw new Error(term);
    const own = registry.all("acl")[0]!;
    expect(term(txnWithPath("/A/x"))).toBe(true);
    expect(term(txnWithPath("/b/x"))).toBe(false);
    expect(own.add([{ key: "/B", value: "" }])).toBeUndefined();
    expect(term(txnWithPath("/b/x"))).toBe(true);
    expect(own.delete("/a")).toBe(1);
    expect(term(txnWithPath("/A/x"))).toBe(false);
    own.clear();
    expect(term(txnWithPath("/b/x"))).toBe(false);

    const ip = compileAcl(acl("src -f nets.lst"), Stage.httpRequest, e);
    if (typeof ip === "string") throw new Error(ip);
    const nets = registry.find("nets.lst", "acl")!;
    expect(nets.add([{ key: "172.16.0.0/12", value: "" }, { key: "not-an-address", value: "" }])).toContain("'not-an-address' is not a valid IPv4 or IPv6 address");
    expect(nets.entries.length).toBe(2);
  });

  test("get: which entry each reader finds, by its method and case", () => {
    const registry = new MapRegistry();
    const e = env(registry, { at: 1 });
    aclRefs(acl("hdr(x-user) -i -f words.lst"), e);
    const words = registry.find("words.lst")!;
    const [use] = words.uses;
    expect(use!.method).toBe("str");
    expect(use!.ignoreCase).toBe(true);
    expect(use!.find(words.entries.map((x) => x.key), "ADMIN")).toBe(0);
    expect(use!.find(words.entries.map((x) => x.key), "root")).toBe(-1);
  });
});
