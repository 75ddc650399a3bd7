// Micro-benchmark of the HTTP/1.1 codec: parse + serialize a browser-like GET
// (~250 bytes) and a ~200-byte response, as the proxy does per request on a
// keep-alive connection. Runs under Bun and Deno:
//   bun bench/codec.ts            deno run bench/codec.ts            [iterations]

import { H1Parser } from "../src/http1/parser.ts";
import { type HeadRewrite, serializeRequestHead, serializeResponseHead } from "../src/http1/serialize.ts";
import type { H1Events, Head } from "../src/http1/types.ts";

const enc = new TextEncoder();
const REQUEST = enc.encode(
  "GET /assets/app.js?v=3 HTTP/1.1\r\n" +
    "Host: www.example.com\r\n" +
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
    "Accept: */*\r\n" +
    "Accept-Language: en-US,en;q=0.5\r\n" +
    "Accept-Encoding: gzip, deflate, br\r\n" +
    "Connection: keep-alive\r\n" +
    "\r\n",
);
const BODY = "console.log('hi');\n";
const RESPONSE = enc.encode(
  "HTTP/1.1 200 OK\r\n" +
    "Server: nginx/1.24.0\r\n" +
    "Date: Tue, 25 Nov 2025 09:00:00 GMT\r\n" +
    "Content-Type: application/javascript\r\n" +
    `Content-Length: ${BODY.length}\r\n` +
    "Connection: keep-alive\r\n" +
    "ETag: \"6740a1b2-13\"\r\n" +
    "\r\n" +
    BODY,
);

const iterations = Number((globalThis as { process?: { argv: string[] } }).process?.argv[2] ?? "") || 1_000_000;
const runtime = "Bun" in globalThis ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}` : "Deno" in globalThis ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}` : "unknown";

let head: Head | undefined;
let bodyBytes = 0;
let ended = 0;
const events: H1Events = {
  head(h) {
    head = h;
  },
  data(d) {
    bodyBytes += d.length;
  },
  trailers() {},
  end() {
    ended++;
  },
  error(e) {
    throw e;
  },
};

const reqRewrite: HeadRewrite = { framing: { kind: "none" }, connection: "keep-alive", add: [["X-Forwarded-For", "10.0.0.7"]] };
const resRewrite: HeadRewrite = { framing: { kind: "length", length: BODY.length }, connection: "keep-alive" };

const requests = new H1Parser("request", events);
const responses = new H1Parser("response", events);
responses.setRequestMethod("GET");
let sink = 0;

function parseRequest(): void {
  requests.push(REQUEST);
  requests.next();
}
function serializeRequest(h: Head): void {
  sink += serializeRequestHead(h, reqRewrite).length;
}
function parseResponse(): void {
  responses.push(RESPONSE);
  responses.next();
}
function serializeResponse(h: Head): void {
  sink += serializeResponseHead(h, resRewrite).length;
}

/** Runs fn `iterations` times in 10 slices: mean ns/op over all, and the best slice (least disturbed by GC and neighbours). */
function measure(name: string, fn: () => void): void {
  for (let i = 0; i < Math.min(iterations, 200_000); i++) fn(); // warm up
  const slice = Math.ceil(iterations / 10);
  let best = Infinity;
  const t0 = performance.now();
  for (let s = 0; s < 10; s++) {
    const ts = performance.now();
    for (let i = 0; i < slice; i++) fn();
    best = Math.min(best, performance.now() - ts);
  }
  const mean = ((performance.now() - t0) * 1e6) / (slice * 10);
  console.log(`${name.padEnd(40)} ${mean.toFixed(0).padStart(6)} ns/op   (best slice ${((best * 1e6) / slice).toFixed(0)})`);
}

parseRequest();
const reqHead = head!;
parseResponse();
const resHead = head!;

console.log(`sluice HTTP/1.1 codec, ${runtime}, ${iterations} iterations, request ${REQUEST.length} B, response ${RESPONSE.length} B`);
measure("parse request", parseRequest);
measure("serialize request head", () => serializeRequest(reqHead));
measure("parse response (head + body)", parseResponse);
measure("serialize response head", () => serializeResponse(resHead));
measure("request+response: parse + serialize", () => {
  parseRequest();
  serializeRequest(head!);
  parseResponse();
  serializeResponse(head!);
});
if (sink === 0 || ended === 0 || bodyBytes === 0) throw new Error("nothing measured");
