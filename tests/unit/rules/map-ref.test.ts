// A map file shared by its converters and changed at run time
// (rules/match/map-ref.ts, rules/convert/map.ts): every converter naming the
// file reads the same entries; a change is seen by the next lookup; a change
// a converter could not read is refused whole.
import { describe, expect, test } from "bun:test";
import { MapRef, MapRegistry } from "../../../src/rules/match/map-ref.ts";
import { MAP_CONVERTERS } from "../../../src/rules/convert/map.ts";
import type { CompileEnv, Sample } from "../../../src/rules/types.ts";

const FILES: Record<string, string> = { "hosts.map": "a.example one\nb.example two\n", "nets.map": "10.0.0.0/8 inside\n" };

function env(registry: MapRegistry): CompileEnv {
  return {
    readFile: (p) => FILES[p]!,
    hasTable: () => false,
    ownTable: undefined,
    hasBackend: () => true,
    mapRef: (file, parse) => registry.ref(file, `/etc/${file}`, "map at file 'x.cfg'", () => parse(FILES[file]!)),
  };
}

function converter(name: string, args: string[], e: CompileEnv): (s: Sample) => Sample | undefined {
  const def = MAP_CONVERTERS.find((c) => c.name === name)!;
  const fn = def.compile(args, e);
  if (typeof fn === "string") throw new Error(fn);
  return fn as (s: Sample) => Sample | undefined;
}

describe("map files at run time", () => {
  test("two converters naming one file share one MapRef; a change reaches both on their next lookup", () => {
    const registry = new MapRegistry();
    const e = env(registry);
    const plain = converter("map", ["hosts.map"], e);
    const withDefault = converter("map_str", ["hosts.map", "none"], e);
    expect(registry.all().length).toBe(1);
    const ref = registry.find("hosts.map")!;
    expect(registry.find("/etc/hosts.map")).toBe(ref);
    expect(registry.find("#0")).toBe(ref);
    // HAProxy's strtol(10) reading of the id (measured with 2.6.12): '#' and '#+0' are #0; '#0x0' names nothing.
    expect([registry.find("#"), registry.find("#+0"), registry.find("# 0"), registry.find("#0x0"), registry.find("#0a")]).toEqual([ref, ref, ref, undefined, undefined]);
    expect(plain("a.example")).toBe("one");
    expect(ref.add([{ key: "c.example", value: "three" }])).toBeUndefined();
    expect(plain("c.example")).toBe("three");
    expect(withDefault("c.example")).toBe("three");
    expect(ref.set("a.example", "uno")).toBe(1);
    expect(plain("a.example")).toBe("uno");
    expect(ref.delete("b.example")).toBe(1);
    expect(plain("b.example")).toBeUndefined();
    expect(withDefault("b.example")).toBe("none");
    ref.clear();
    expect(withDefault("a.example")).toBe("none");
  });

  test("a key or a value a converter cannot read is refused, and nothing is added", () => {
    const registry = new MapRegistry();
    const e = env(registry);
    const ip = converter("map_ip", ["nets.map"], e);
    const ref = registry.find("nets.map")!;
    expect(ref.add([{ key: "192.168.0.0/16", value: "lan" }, { key: "not-a-net", value: "x" }])).toBeString();
    expect(ref.entries.length).toBe(1);
    expect(ip("192.168.1.1")).toBeUndefined();
    expect(ip("10.1.2.3")).toBe("inside");
    const ints = new MapRef(0, "i.map", "i.map", "", [{ key: "k", value: "1" }]);
    ints.use((_k, v) => (/^\d+$/.test(v) ? undefined : `value '${v}' is not an integer`));
    expect(ints.set("k", "x")).toBe("value 'x' is not an integer");
    expect(ints.entries[0]!.value).toBe("1");
  });

  test("#ref selects one entry by the id show map prints", () => {
    const ref = new MapRef(0, "m", "m", "", [{ key: "k", value: "1" }, { key: "k", value: "2" }]);
    const second = ref.entries[1]!;
    expect(ref.set(`#0x${second.id.toString(16)}`, "3")).toBe(1);
    expect(ref.entries.map((e) => e.value)).toEqual(["1", "3"]);
    expect(ref.set("k", "4")).toBe(2);
  });
});
