import { describe, expect, test } from "bun:test";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../../../src/http2/hpack/index.ts";

/** A deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  ":method",
  ":path",
  ":authority",
  ":scheme",
  ":status",
  "accept",
  "accept-encoding",
  "user-agent",
  "cookie",
  "set-cookie",
  "authorization",
  "content-type",
  "content-length",
  "date",
  "etag",
  "cache-control",
  "server",
  "x-forwarded-for",
  "x-custom",
  "x-trace",
  "vary",
  "location",
  "X-Upper-Case",
  "www-authenticate",
];
const VALUES = [
  "GET",
  "POST",
  "/",
  "/index.html",
  "200",
  "404",
  "gzip, deflate",
  "",
  "text/html; charset=utf-8",
  "no-cache",
  "curl/8.5",
];

function randomText(random: () => number, length: number): string {
  const codes = new Array<number>(length);
  const binary = random() < 0.3;
  for (let i = 0; i < length; i++) {
    codes[i] = binary ? Math.floor(random() * 256) : 32 + Math.floor(random() * 95);
  }
  let s = "";
  for (let i = 0; i < length; i += 1024) s += String.fromCharCode(...codes.slice(i, i + 1024));
  return s;
}

function randomList(random: () => number, recent: HeaderField[]): HeaderField[] {
  const n = Math.floor(random() * 25);
  const list: HeaderField[] = [];
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < 0.3 && recent.length > 0) {
      list.push([...recent[Math.floor(random() * recent.length)]!]); // a field seen before: exercises the table
      continue;
    }
    const name = r < 0.9
      ? NAMES[Math.floor(random() * NAMES.length)]!
      : randomText(random, 1 + Math.floor(random() * 30));
    const v = random();
    const value = v < 0.3
      ? VALUES[Math.floor(random() * VALUES.length)]!
      : v < 0.97
      ? randomText(random, Math.floor(random() * 80))
      : randomText(random, Math.floor(random() * 9000)); // long: some beyond any table
    list.push([name, value]);
    recent.push([name, value]);
    if (recent.length > 40) recent.shift();
  }
  return list;
}

const SIZES = [0, 1, 31, 64, 100, 256, 1000, 4096, 8192, 65536];

function run(
  seed: number,
  options: { huffman: boolean; maxTableSize: number },
  blocks: number,
): void {
  const random = rng(seed);
  const e = new HpackEncoder(options);
  const d = new HpackDecoder();
  const recent: HeaderField[] = [];
  let octets = 0;
  let raw = 0;
  for (let b = 0; b < blocks; b++) {
    if (random() < 0.05) {
      // our SETTINGS_HEADER_TABLE_SIZE changes, once or more, before the peer's next block
      const changes = 1 + Math.floor(random() * 3);
      for (let c = 0; c < changes; c++) {
        const n = SIZES[Math.floor(random() * SIZES.length)]!;
        e.setPeerMaxTableSize(n);
        d.setMaxTableSize(n);
      }
    }
    const fields = randomList(random, recent);
    const sensitive = random() < 0.2 ? (name: string) => name.startsWith("x-") : undefined;
    const block = e.encode(fields, sensitive);
    octets += block.length;
    for (const [n, v] of fields) raw += n.length + v.length + 2;
    const decoded = d.decode(block);
    if (
      decoded.length !== fields.length ||
      decoded.some((f, i) => f[0] !== fields[i]![0] || f[1] !== fields[i]![1])
    ) {
      expect({ seed, block: b, decoded }).toEqual({ seed, block: b, decoded: fields });
    }
    expect(d.table.size).toBe(e.table.size);
    expect(d.table.length).toBe(e.table.length);
    if (b % 16 === 0) expect(d.table.entries()).toEqual(e.table.entries());
    expect(e.table.size).toBeLessThanOrEqual(e.table.maxSize);
  }
  expect(octets).toBeLessThan(raw);
}

describe("encode → decode round trips of random header lists", () => {
  for (const huffman of [true, false]) {
    for (const maxTableSize of [4096, 256, 0, 65536]) {
      test(`huffman ${huffman}, encoder table ≤ ${maxTableSize}`, () => {
        run(1000 + maxTableSize + (huffman ? 1 : 0), { huffman, maxTableSize }, 400);
      });
    }
  }

  test("a browser-like session compresses well: repeated requests cost a few octets", () => {
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    const request = (path: string): HeaderField[] => [
      [":method", "GET"],
      [":scheme", "https"],
      [":authority", "www.example.com"],
      [":path", path],
      ["user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"],
      ["accept", "*/*"],
      ["accept-language", "en-US,en;q=0.5"],
      ["accept-encoding", "gzip, deflate, br"],
      ["cookie", "session=0123456789abcdef0123456789abcdef"],
    ];
    const first = e.encode(request("/"));
    expect(d.decode(first)).toEqual(request("/"));
    const second = e.encode(request("/app.js"));
    expect(d.decode(second)).toEqual(request("/app.js"));
    expect(second.length).toBeLessThanOrEqual(16); // 8 indexed fields + the new :path
    expect(first.length).toBeGreaterThan(100);
  });
});
