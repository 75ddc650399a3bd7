// The master's record of runtime changes (server-state-file semantics in
// memory) and the commands it replays to a new worker.
import { describe, expect, test } from "bun:test";
import { RuntimeChanges } from "../../../src/master/runtime-changes.ts";

const config = (servers: Record<string, string[]>) => ({
  backends: Object.entries(servers).map(([name, names]) => ({ name, servers: names.map((n) => ({ name: n })) })),
}) as unknown as Parameters<RuntimeChanges["replay"]>[0];

const words = (line: string) => line.split(" ");
const replayed = (r: RuntimeChanges, c = config({ app: ["a", "b"], api: ["x"] })) =>
  r.replay(c).map((x) => x.words.join(" ") + (x.payload === undefined ? "" : ` <<${x.payload}`));

describe("runtime changes kept by the master", () => {
  test("weight, admin state and address per server, the last of each, replayed address, weight, state", () => {
    const r = new RuntimeChanges();
    r.record(words("set server app/a weight 0"), undefined, "");
    r.record(words("set weight app/a 5"), undefined, "");
    r.record(words("set server app/a state drain"), undefined, "");
    r.record(words("set server app/a addr 127.0.0.2 port 8081"), undefined, "IP changed from '127.0.0.1' to '127.0.0.2', port changed from '80' to '8081' by 'stats socket command'\n");
    r.record(words("disable server app/b"), undefined, "");
    expect(replayed(r)).toEqual([
      "set server app/a addr 127.0.0.2 port 8081",
      "set weight app/a 5",
      "set server app/a state drain",
      "disable server app/b",
    ]);
  });

  test("an absolute state resets the relative ones; enable after disable keeps both (a drain stays, as HAProxy's)", () => {
    const r = new RuntimeChanges();
    r.record(words("set server app/a state drain"), undefined, "");
    r.record(words("disable server app/a"), undefined, "");
    r.record(words("enable server app/a"), undefined, "");
    expect(replayed(r)).toEqual(["set server app/a state drain", "disable server app/a", "enable server app/a"]);
    r.record(words("set server app/a state ready"), undefined, "");
    expect(replayed(r)).toEqual(["set server app/a state ready"]);
  });

  test("a change the workers refused is not kept", () => {
    const r = new RuntimeChanges();
    r.record(words("set server app/zz weight 3"), undefined, "No such server.\n");
    r.record(words("set server app/a addr nope"), undefined, "Invalid addr 'nope' by 'stats socket command'\n");
    r.record(words("set server app/a weight 300"), undefined, "Weight must be in 0..256\n");
    expect(replayed(r)).toEqual([]);
  });

  test("reads and commands outside the record are not kept", () => {
    const r = new RuntimeChanges();
    for (const line of ["show stat", "get weight app/a", "clear table app", "set server app/a health down", "commit ssl cert /x.pem"]) {
      r.record(words(line), undefined, "");
    }
    expect(replayed(r)).toEqual([]);
  });

  test("servers the new configuration no longer has are left out", () => {
    const r = new RuntimeChanges();
    r.record(words("set server app/a weight 0"), undefined, "");
    r.record(words("set server api/x weight 7"), undefined, "");
    expect(replayed(r, config({ app: ["b"], api: ["x"] }))).toEqual(["set server api/x weight 7"]);
  });

  test("map entries in order per map, with their payloads; clear map restarts the map's list", () => {
    const r = new RuntimeChanges();
    r.record(words("add map hosts.map a.example be1"), undefined, "");
    r.record(words("add map hosts.map"), "b.example be2\nc.example be3\n", "");
    r.record(words("set map hosts.map a.example be9"), undefined, "");
    r.record(words("del map hosts.map c.example"), undefined, "");
    r.record(words("add map other.map k v"), undefined, "");
    expect(replayed(r)).toEqual([
      "add map hosts.map a.example be1",
      "add map hosts.map <<b.example be2\nc.example be3\n",
      "set map hosts.map a.example be9",
      "del map hosts.map c.example",
      "add map other.map k v",
    ]);
    r.record(words("clear map hosts.map"), undefined, "");
    r.record(words("add map hosts.map z be0"), undefined, "");
    expect(replayed(r)).toEqual(["clear map hosts.map", "add map hosts.map z be0", "add map other.map k v"]);
  });

  test("acl patterns are kept as map entries are, apart from a map of the same name; clear acl restarts the list", () => {
    const r = new RuntimeChanges();
    r.record(words("add acl blocked.lst 10.0.0.1"), undefined, "");
    r.record(words("add map blocked.lst k v"), undefined, "");
    r.record(words("del acl blocked.lst 10.0.0.1"), undefined, "");
    r.record(words("add acl blocked.lst bad"), undefined, "'bad' is not a valid IPv4 or IPv6 address.\n");
    expect(replayed(r)).toEqual(["add acl blocked.lst 10.0.0.1", "del acl blocked.lst 10.0.0.1", "add map blocked.lst k v"]);
    r.record(words("clear acl blocked.lst"), undefined, "");
    expect(replayed(r)).toEqual(["clear acl blocked.lst", "add map blocked.lst k v"]);
  });

  test("versioned map and acl changes are not kept (a new worker starts at version 0)", () => {
    const r = new RuntimeChanges();
    r.record(words("prepare map hosts.map"), undefined, "New version created: 1\n");
    r.record(words("add map @1 hosts.map a.example be1"), undefined, "");
    r.record(words("commit map @1 hosts.map"), undefined, "");
    r.record(words("add acl @1 blocked.lst 10.0.0.1"), undefined, "");
    expect(replayed(r)).toEqual([]);
  });

  test("changes naming a reference by #id or an entry by #0x.. are not kept (a new configuration numbers them anew)", () => {
    const r = new RuntimeChanges();
    r.record(words("add acl #5 1.2.3.4"), undefined, "");
    r.record(words("del acl blocked.lst #0x1a"), undefined, "");
    r.record(words("add map #0 k v"), undefined, "");
    r.record(words("add acl blocked.lst 10.0.0.1"), undefined, "");
    expect(replayed(r)).toEqual(["add acl blocked.lst 10.0.0.1"]);
  });
});
