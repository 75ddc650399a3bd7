// Micro-benchmark of the pattern matchers and maps (src/rules/match): ns per
// lookup, for a sample that matches (hit) and one that does not (miss), with
// 10,000 map entries (map_str, map_beg, map_ip) and 1,000 ACL values (str,
// beg, ip, reg, and a few more), as rules call them per request. Each row
// cycles through 1,024 pre-built samples; the best of 5 rounds is shown.
// Runs under Bun and Deno:
//   bun bench/rules-match.ts            deno run bench/rules-match.ts

import { compileLookup, compileMatcher } from "../src/rules/match/index.ts";
import type { Lookup, Matcher, MatchMethod, Sample } from "../src/rules/types.ts";

const runtime = "Bun" in globalThis
  ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : "Deno" in globalThis
  ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : "unknown";

/** A fixed pseudo-random sequence (LCG), so every run sees the same data. */
let seed = 12345;
function rand(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}

const SAMPLES = 1024;
function samples(make: (k: number) => string): string[] {
  return Array.from({ length: SAMPLES }, (_, k) => make(k));
}

let sink = 0;
/**
 * ns per call of fn over the samples, after a warm-up: the best of 5 rounds
 * of at least 80 ms each (on a shared machine, the least disturbed round is
 * the closest to the code's own cost).
 */
function nsPerCall(fn: (s: Sample) => unknown, input: readonly string[]): number {
  for (let i = 0; i < 2_000; i++) if (fn(input[i & (SAMPLES - 1)]!) !== undefined) sink++;
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let calls = 0;
    let batch = 256;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < 80) {
      for (let i = 0; i < batch; i++) {
        const r = fn(input[(calls + i) & (SAMPLES - 1)]!);
        if (r !== undefined && r !== false) sink++;
      }
      calls += batch;
      batch = Math.min(batch * 2, 1 << 16);
      elapsed = performance.now() - t0;
    }
    best = Math.min(best, (elapsed * 1e6) / calls);
  }
  return best;
}

function matcher(method: MatchMethod, patterns: string[], ignoreCase = false): Matcher {
  const m = compileMatcher(method, patterns, { ignoreCase });
  if (typeof m === "string") throw new Error(m);
  return m;
}
function lookup(method: MatchMethod, entries: [string, string][]): Lookup<string> {
  const l = compileLookup(method, entries, { ignoreCase: false });
  if (typeof l === "string") throw new Error(l);
  return l;
}

interface Row {
  name: string;
  size: number;
  fn: (s: Sample) => unknown;
  hits: string[];
  misses: string[];
  /** Checks the samples do what the row says. */
  isHit: (r: unknown) => boolean;
}
const rows: Row[] = [];
const found = (r: unknown) => r !== undefined && r !== false;

// ---- maps, 10,000 entries ----
const hosts = Array.from({ length: 10_000 }, (_, i) => `svc${i}.region${i % 7}.example.com`);
rows.push({
  name: "map_str",
  size: hosts.length,
  fn: lookup("str", hosts.map((h, i) => [h, `be${i}`])),
  hits: samples(() => hosts[rand(hosts.length)]!),
  misses: samples((k) => `svc${k}.region9.example.org`),
  isHit: found,
});

const prefixes = Array.from({ length: 10_000 }, (_, i) => (i < 5_000 ? `/svc/${i}` : `/svc/${i - 5_000}/v2`));
rows.push({
  name: "map_beg",
  size: prefixes.length,
  fn: lookup("beg", prefixes.map((p, i) => [p, `be${i}`])),
  hits: samples(() => `/svc/${rand(5_000)}/${rand(2) ? "v2" : "v1"}/items?id=${rand(1000)}`),
  misses: samples((k) => `/static/${k}/app.js`),
  isHit: found,
});

const networks: string[] = [];
for (let i = 0; i < 8_000; i++) networks.push(`10.${i >> 8}.${i & 255}.0/24`);
for (let i = 0; i < 1_000; i++) networks.push(`10.${rand(31)}.${rand(256)}.${rand(256)}`);
for (let i = 0; i < 1_000; i++) networks.push(`2001:db8:${i.toString(16)}::/48`);
rows.push({
  name: "map_ip",
  size: networks.length,
  fn: lookup("ip", networks.map((n, i) => [n, `be${i}`])),
  hits: samples(() => `10.${rand(31)}.${rand(256)}.${rand(256)}`),
  misses: samples(() => `192.0.2.${rand(256)}`),
  isHit: found,
});

// ---- ACLs, 1,000 values ----
const aclHosts = hosts.slice(0, 1_000);
rows.push({
  name: "acl str",
  size: aclHosts.length,
  fn: matcher("str", aclHosts),
  hits: samples(() => aclHosts[rand(aclHosts.length)]!),
  misses: samples((k) => `www${k}.example.net`),
  isHit: found,
});
rows.push({
  name: "acl str -i",
  size: aclHosts.length,
  fn: matcher("str", aclHosts, true),
  hits: samples(() => aclHosts[rand(aclHosts.length)]!.toUpperCase()),
  misses: samples((k) => `WWW${k}.Example.net`),
  isHit: found,
});
const aclPrefixes = Array.from({ length: 1_000 }, (_, i) => `/app${i}/`);
rows.push({
  name: "acl beg",
  size: aclPrefixes.length,
  fn: matcher("beg", aclPrefixes),
  hits: samples(() => `/app${rand(1_000)}/index.html?x=1`),
  misses: samples((k) => `/static/${k}.js`),
  isHit: found,
});
const aclSuffixes = Array.from({ length: 1_000 }, (_, i) => `.ext${i}`);
rows.push({
  name: "acl end",
  size: aclSuffixes.length,
  fn: matcher("end", aclSuffixes),
  hits: samples(() => `/files/report.ext${rand(1_000)}`),
  misses: samples((k) => `/files/report${k}.pdf`),
  isHit: found,
});
const agents = Array.from({ length: 1_000 }, (_, i) => `bot${i}/`);
const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
rows.push({
  name: "acl sub",
  size: agents.length,
  fn: matcher("sub", agents),
  hits: samples(() => `${UA} bot${rand(1_000)}/1.0`),
  misses: samples((k) => `${UA} ${k}`),
  isHit: found,
});
rows.push({
  name: "acl sub -i, 2 patterns",
  size: 2,
  fn: matcher("sub", ["CURL", "WGET"], true),
  hits: samples((k) => `${UA} curl/${k}`),
  misses: samples((k) => `${UA} ${k}`),
  isHit: found,
});
rows.push({
  name: "acl dom",
  size: aclHosts.length,
  fn: matcher("dom", aclHosts),
  hits: samples(() => `www.${aclHosts[rand(aclHosts.length)]}:443`),
  misses: samples((k) => `www.svc${k}.region9.example.org:443`),
  isHit: found,
});
const aclNetworks = Array.from({ length: 1_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
rows.push({
  name: "acl ip",
  size: aclNetworks.length,
  fn: matcher("ip", aclNetworks),
  hits: samples(() => `10.${rand(3)}.${rand(256)}.${rand(256)}`),
  misses: samples(() => `192.0.2.${rand(256)}`),
  isHit: found,
});
rows.push({
  name: "acl ip (v4-mapped samples)",
  size: aclNetworks.length,
  fn: matcher("ip", aclNetworks),
  hits: samples(() => `::ffff:10.${rand(3)}.${rand(256)}.${rand(256)}`),
  misses: samples(() => `::ffff:192.0.2.${rand(256)}`),
  isHit: found,
});
const regexes = Array.from({ length: 1_000 }, (_, i) => `^/api/v[0-9]+/svc${i}/`);
rows.push({
  name: "acl reg",
  size: regexes.length,
  fn: matcher("reg", regexes),
  hits: samples(() => `/api/v2/svc${rand(1_000)}/items`),
  misses: samples((k) => `/static/${k}.js`),
  isHit: found,
});
rows.push({
  name: "map_reg",
  size: regexes.length,
  fn: lookup("reg", regexes.map((r, i) => [r, `be${i}`])),
  hits: samples(() => `/api/v2/svc${rand(1_000)}/items`),
  misses: samples((k) => `/static/${k}.js`),
  isHit: found,
});
rows.push({
  name: "acl reg, 1 pattern (re2js)",
  size: 1,
  fn: matcher("reg", ["^/api/v[0-9]+/items/[a-z0-9-]+$"]),
  hits: samples((k) => `/api/v2/items/item-${k}`),
  misses: samples((k) => `/api/v2/items/Item_${k}`),
  isHit: found,
});
const native = /^\/api\/v[0-9]+\/items\/[a-z0-9-]+$/;
rows.push({
  name: "(reference: the runtime's own RegExp, not used)",
  size: 1,
  fn: (s) => native.test(s as string),
  hits: samples((k) => `/api/v2/items/item-${k}`),
  misses: samples((k) => `/api/v2/items/Item_${k}`),
  isHit: found,
});

// ---- run ----
const lines = [
  `# rules-match: ns per lookup (best of 5 rounds), ${runtime}, ${SAMPLES} samples cycled per row`,
  "| set | entries | hit (ns) | miss (ns) |",
  "| --- | ---: | ---: | ---: |",
];
console.log(lines.join("\n"));
for (const row of rows) {
  for (const s of row.hits.slice(0, 16)) if (!row.isHit(row.fn(s))) throw new Error(`${row.name}: '${s}' should match`);
  for (const s of row.misses.slice(0, 16)) if (row.isHit(row.fn(s))) throw new Error(`${row.name}: '${s}' should not match`);
  const hit = nsPerCall(row.fn, row.hits);
  const miss = nsPerCall(row.fn, row.misses);
  console.log(`| ${row.name} | ${row.size.toLocaleString("en-US")} | ${hit.toFixed(0)} | ${miss.toFixed(0)} |`);
}
if (sink === 42) console.log("");
