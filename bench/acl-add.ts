// add-acl at request rate on a large list: what one request costs when it adds
// its client address to a blocklist ACL and the next rule matches that ACL.
// Before 5c498c8 each add scanned the list and the ACL rebuilt its whole index;
// now the add asks a count per key and the ACL matches the appended patterns
// beside its index. Run: bun bench/acl-add.ts [list size] [adds]
import { compileCondition, parseAcl, type ParsedAcl } from "../src/rules/acl.ts";
import { MapRegistry } from "../src/rules/match/map-ref.ts";
import { Stage } from "../src/rules/types.ts";
import { env, request, txn } from "../tests/unit/rules/txn.ts";

const size = Number(process.argv[2] ?? 10_000);
const adds = Number(process.argv[3] ?? 5_000);
const address = (net: number, i: number) => `${net}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const registry = new MapRegistry();
const initial = Array.from({ length: size }, (_, i) => address(10, i)).join("\n");
const e = env({}, {
  mapRef: (file, parse, kind) => registry.ref(file, file, "acl 'src'", () => parse(initial), kind),
  inlineRef: (what, values) => registry.inline(what, values),
});
const acl = parseAcl(["src", "-f", "block.lst"]) as ParsedAcl;
const blocked = compileCondition(["if", "blocked"], new Map([["blocked", [acl]]]), Stage.httpRequest, e);
if (typeof blocked === "string") throw new Error(blocked);
const ref = registry.find("block.lst")!;
const started = performance.now();
let hits = 0;
for (let i = 0; i < adds; i++) {
  const key = address(11, i);
  if (!ref.has(key)) ref.add([{ key, value: "" }]); // add-acl's own step
  if (blocked(txn({ request: request("GET", "/"), address: key }))) hits++;
}
const ms = performance.now() - started;
console.log(`${adds} add-acl + match on a ${size}-entry list: ${ms.toFixed(0)} ms (${((ms * 1000) / adds).toFixed(1)} µs each), ${hits} matched`);
