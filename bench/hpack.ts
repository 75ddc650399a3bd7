// Micro-benchmark of HPACK (src/http2/hpack): encode and decode of a browser-like
// request header list and a typical response header list, as the HTTP/2 mux
// does per request. "first" blocks are a connection's first (literals, Huffman);
// "next" blocks reuse the dynamic table (mostly one-octet indices), with the
// :path (request) or content-length/etag (response) changing each time.
// Runs under Bun and Deno:
//   bun bench/hpack.ts            deno run bench/hpack.ts            [iterations]

import { type HeaderField, HpackDecoder, HpackEncoder } from "../src/http2/hpack/index.ts";

const iterations =
  Number((globalThis as { process?: { argv: string[] } }).process?.argv[2] ?? "") ||
  Number((globalThis as { Deno?: { args: string[] } }).Deno?.args[0] ?? "") || 300_000;
const runtime = "Bun" in globalThis
  ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : "Deno" in globalThis
  ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : "unknown";

const PATHS = [
  "/",
  "/assets/app.js?v=3",
  "/assets/app.css",
  "/img/logo.png",
  "/api/v1/items?page=2",
  "/favicon.ico",
  "/fonts/a.woff2",
  "/search?q=hpack",
];

function request(path: string): HeaderField[] {
  return [
    [":method", "GET"],
    [":scheme", "https"],
    [":authority", "www.example.com"],
    [":path", path],
    ["user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"],
    ["accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
    ["accept-language", "en-US,en;q=0.5"],
    ["accept-encoding", "gzip, deflate, br"],
    ["referer", "https://www.example.com/"],
    ["cookie", "session=8d0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b; theme=dark"],
    ["sec-fetch-dest", "document"],
    ["sec-fetch-mode", "navigate"],
  ];
}

function response(n: number): HeaderField[] {
  return [
    [":status", "200"],
    ["server", "nginx/1.24.0"],
    ["date", "Tue, 25 Nov 2025 09:00:00 GMT"],
    ["content-type", "application/javascript; charset=utf-8"],
    ["content-length", String(1000 + n)],
    ["last-modified", "Mon, 24 Nov 2025 18:30:00 GMT"],
    ["etag", `"6740a1b2-${n.toString(16)}"`],
    ["cache-control", "public, max-age=31536000, immutable"],
    ["vary", "Accept-Encoding"],
    ["strict-transport-security", "max-age=63072000"],
  ];
}

const REQUESTS = PATHS.map(request);
const RESPONSES = PATHS.map((_, i) => response(i));
const size = (l: HeaderField[]) => l.reduce((s, [n, v]) => s + n.length + v.length + 4, 0);

// Blocks to decode: a connection's first, and later ones (encoded after the first warmed the table).
function blocks(lists: HeaderField[][]): { first: Uint8Array; next: Uint8Array[] } {
  const e = new HpackEncoder();
  const first = e.encode(lists[0]!);
  return { first, next: lists.map((l) => e.encode(l)) };
}
const req = blocks(REQUESTS);
const res = blocks(RESPONSES);

let sink = 0;
/** Runs fn `iterations` times in 10 slices: mean µs/op over all, and the best slice. */
function measure(name: string, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(iterations, 100_000); i++) fn(i); // warm up
  const slice = Math.ceil(iterations / 10);
  let best = Infinity;
  const t0 = performance.now();
  for (let s = 0; s < 10; s++) {
    const ts = performance.now();
    for (let i = 0; i < slice; i++) fn(i);
    best = Math.min(best, performance.now() - ts);
  }
  const mean = ((performance.now() - t0) * 1e3) / (slice * 10);
  console.log(
    `${name.padEnd(44)} ${mean.toFixed(3).padStart(7)} µs/op   (best slice ${
      ((best * 1e3) / slice).toFixed(3)
    })`,
  );
}

// A decoder fed the first block once, then the "next" blocks in turn: those only
// refer to what the first block inserted (they insert nothing new), so the
// table stays as the first block left it.
function warmDecoder(first: Uint8Array): HpackDecoder {
  const d = new HpackDecoder();
  d.decode(first);
  return d;
}

console.log(
  `sluice HPACK, ${runtime}, ${iterations} iterations; request ${REQUESTS[0]!.length} fields ${
    size(REQUESTS[0]!)
  } B as HTTP/1 ` +
    `→ first block ${req.first.length} B, next ${req.next[1]!.length} B; response ${
      RESPONSES[0]!.length
    } fields ${size(RESPONSES[0]!)} B ` +
    `→ first ${res.first.length} B, next ${res.next[1]!.length} B`,
);

const coldDecoder = new HpackDecoder(); // the first block inserts the same entries again each time: valid, and all literals
measure("decode request, first block (literals)", () => {
  sink += coldDecoder.decode(req.first).length;
});
const reqDecoder = warmDecoder(req.first);
measure("decode request, next blocks", (i) => {
  sink += reqDecoder.decode(req.next[i & 7]!).length;
});
const coldResDecoder = new HpackDecoder();
measure("decode response, first block (literals)", () => {
  sink += coldResDecoder.decode(res.first).length;
});
const resDecoder = warmDecoder(res.first);
measure("decode response, next blocks", (i) => {
  sink += resDecoder.decode(res.next[i & 7]!).length;
});
measure("encode request, first block (new encoder)", () => {
  sink += new HpackEncoder().encode(REQUESTS[0]!).length;
});
const reqEncoder = new HpackEncoder();
measure("encode request, next blocks", (i) => {
  sink += reqEncoder.encode(REQUESTS[i & 7]!).length;
});
const resEncoder = new HpackEncoder();
measure("encode response, next blocks", (i) => {
  sink += resEncoder.encode(RESPONSES[i & 7]!).length;
});
const e1 = new HpackEncoder();
const d1 = new HpackDecoder();
const e2 = new HpackEncoder();
const d2 = new HpackDecoder();
measure("request+response: encode + decode each", (i) => {
  sink += d1.decode(e1.encode(REQUESTS[i & 7]!)).length;
  sink += d2.decode(e2.encode(RESPONSES[i & 7]!)).length;
});

// the decoded lists are right
const check = new HpackDecoder();
check.decode(req.first);
for (let i = 0; i < 8; i++) {
  if (JSON.stringify(check.decode(req.next[i]!)) !== JSON.stringify(REQUESTS[i])) {
    throw new Error("request decoded wrong");
  }
}
if (sink === 0) throw new Error("nothing measured");
