// Fuzzing the HTTP/1 parser (issue 18), with fast-check, a fixed seed and a
// bounded count in the default run (FUZZ_RUNS=N and FUZZ_SEED=S for a longer
// or another run: `npm run fuzz`):
//  - generated messages (requests and responses, pipelined, with
//    Content-Length or chunked bodies, trailers) give the same events whatever
//    the splits of the bytes;
//  - random bytes and mutated valid messages never throw: the parser reports
//    a typed H1Error through `error` or accepts;
//  - whatever the parser accepts is framed as a reference function written
//    from RFC 9112 §6.1–6.3 frames it (CL/TE/none), and a message the
//    reference refuses is never accepted;
//  - serialize(parse(x)) parses to the same head.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { serializeRequestHead, serializeResponseHead } from "../../../src/http1/serialize.ts";
import { BodyKind, H1Error } from "../../../src/http1/types.ts";
import { bytes, type Case, drive, fieldsOf, shortHead, text } from "../http1/harness.ts";
import { invalid, valid } from "../http1/corpus.ts";
import { FUZZ, FUZZ_TIMEOUT_MS } from "./settings.ts";


// ---------------------------------------------------------------- generators

const tchar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~");
const token = fc.string({ unit: tchar, minLength: 1, maxLength: 12 });
const vchar = fc.constantFrom(..."abcXYZ019 /;=,.:-\"()\t@");
const fieldValue = fc.string({ unit: vchar, maxLength: 20 }).map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ""));
/** Ordinary fields: never the framing or connection ones, which the generator adds on purpose. */
const plainField = fc.tuple(token, fieldValue).filter(([n]) => !/^(content-length|transfer-encoding|host|connection|upgrade|te|expect|keep-alive|proxy-connection)$/i.test(n));
const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "X-CUSTOM");
const target = fc.array(fc.string({ unit: fc.constantFrom(..."abz09-._~%2F"), maxLength: 6 }), { maxLength: 4 })
  .map((segs) => "/" + segs.join("/").replace(/%(?![0-9A-F]{2})/g, "x"));
const body = fc.string({ unit: fc.constantFrom(..."ab\r\n0;x"), maxLength: 40 });

interface Framed {
  head: string;
  body: string;
}

const framing = fc.constantFrom("length", "chunked", "none");

/** A body framed as `kind`: chunked bodies cut into random chunks, with extensions and trailers sometimes. */
function frameBody(kind: string, data: string, cuts: number[], ext: boolean, trailers: [string, string][]): Framed {
  if (kind === "length") return { head: `Content-Length: ${data.length}\r\n`, body: data };
  if (kind === "none") return { head: "", body: "" };
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  let out = "";
  let at = 0;
  for (const p of [...points, data.length]) {
    if (p <= at) continue;
    out += `${(p - at).toString(16)}${ext ? ";n=v" : ""}\r\n${data.slice(at, p)}\r\n`;
    at = p;
  }
  out += "0\r\n" + trailers.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n";
  return { head: "Transfer-Encoding: chunked\r\n", body: out };
}

const request = fc.record({
  method,
  target,
  fields: fc.array(plainField, { maxLength: 6 }),
  kind: framing,
  data: body,
  cuts: fc.array(fc.nat(64), { maxLength: 4 }),
  ext: fc.boolean(),
  trailers: fc.array(plainField, { maxLength: 2 }),
}).map((r) => {
  const f = frameBody(r.method === "GET" && r.kind === "none" ? "none" : r.kind, r.data, r.cuts, r.ext, r.trailers);
  return `${r.method} ${r.target} HTTP/1.1\r\nHost: h.example\r\n${r.fields.map(([n, v]) => `${n}: ${v}\r\n`).join("")}${f.head}\r\n${f.body}`;
});

const response = fc.record({
  status: fc.constantFrom(200, 201, 204, 301, 404, 500),
  fields: fc.array(plainField, { maxLength: 6 }),
  kind: fc.constantFrom("length", "chunked"),
  data: body,
  cuts: fc.array(fc.nat(64), { maxLength: 4 }),
  ext: fc.boolean(),
  trailers: fc.array(plainField, { maxLength: 2 }),
}).map((r) => {
  const f = r.status === 204 ? { head: "", body: "" } : frameBody(r.kind, r.data, r.cuts, r.ext, r.trailers);
  return `HTTP/1.1 ${r.status} X\r\n${r.fields.map(([n, v]) => `${n}: ${v}\r\n`).join("")}${f.head}\r\n${f.body}`;
});

/** 1–3 requests (or responses) on one connection. */
const pipelined = (one: fc.Arbitrary<string>) => fc.array(one, { minLength: 1, maxLength: 3 }).map((m) => m.join(""));

/** Random cut points of a message into pieces. */
function cut(input: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (input.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const p of [...at, input.length]) {
    if (p < from) continue;
    pieces.push(input.slice(from, p));
    from = p;
  }
  return pieces.filter((p) => p.length > 0);
}

/** A byte-level mutation of a message: replace, insert, delete, or duplicate a line. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), byte: fc.constantFrom(0, 9, 10, 13, 32, 44, 58, 59, 0x30, 0x61, 0x7f, 0xff) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), byte: fc.constantFrom(0, 9, 10, 13, 32, 44, 58, 59, 0x30, 0x61, 0x7f, 0xff) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), byte: fc.constant(0) }),
  fc.record({ op: fc.constant("dupline" as const), at: fc.nat(), byte: fc.constant(0) }),
);

function mutate(s: string, ms: { op: string; at: number; byte: number }[]): string {
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % s.length;
    if (m.op === "replace") s = s.slice(0, at) + String.fromCharCode(m.byte) + s.slice(at + 1);
    else if (m.op === "insert") s = s.slice(0, at) + String.fromCharCode(m.byte) + s.slice(at);
    else if (m.op === "delete") s = s.slice(0, at) + s.slice(at + 1);
    else {
      const lines = s.split("\r\n");
      const i = at % lines.length;
      lines.splice(i, 0, lines[i]!);
      s = lines.join("\r\n");
    }
  }
  return s;
}

// ---------------------------------------------------------------- the reference framing (RFC 9112 §6)

type RefFraming = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" } | { kind: "invalid" };

/**
 * How RFC 9112 §6.3 frames a request's body, from the head's text alone,
 * written independently of the parser: Transfer-Encoding (final coding
 * chunked, else invalid for a request) wins over and excludes
 * Content-Length; several Content-Length values must be one same decimal;
 * otherwise no body.
 */
function referenceFraming(headText: string): RefFraming {
  const lines = headText.split("\r\n").slice(1).filter((l) => l !== "");
  const te: string[] = [];
  const cl: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) return { kind: "invalid" };
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "transfer-encoding") te.push(...value.split(",").map((v) => v.trim().toLowerCase()).filter((v) => v !== ""));
    if (name === "content-length") cl.push(...value.split(",").map((v) => v.trim()));
  }
  if (te.length > 0) {
    if (cl.length > 0) return { kind: "invalid" }; // §6.3 (3): reject as smuggling rather than guess
    return te[te.length - 1] === "chunked" && te.filter((t) => t === "chunked").length === 1 ? { kind: "chunked" } : { kind: "invalid" };
  }
  if (cl.length > 0) {
    if (!cl.every((v) => /^[0-9]+$/.test(v)) || new Set(cl.map((v) => BigInt(v))).size !== 1) return { kind: "invalid" };
    const n = Number(cl[0]);
    return Number.isSafeInteger(n) ? { kind: "length", length: n } : { kind: "invalid" };
  }
  return { kind: "none" };
}

// ---------------------------------------------------------------- properties

function side(input: string): "request" | "response" {
  return input.startsWith("HTTP/") ? "response" : "request";
}

function caseOf(input: string): Case {
  return { name: "fuzz", side: side(input), input, close: true, expect: [] };
}

/** Runs the parser; any exception other than none is the failure (errors must come as H1Error events). */
function record(input: string, pieces: Uint8Array[]) {
  const r = drive(caseOf(input), pieces, false);
  for (const e of r.errors) expect(e).toBeInstanceOf(H1Error);
  return r;
}

describe("HTTP/1 parser, fuzzed (fast-check, fixed seed)", () => {
  test("generated requests and responses: the same events whatever the splits", () => {
    fc.assert(
      fc.property(fc.oneof(pipelined(request), pipelined(response)), fc.array(fc.nat(4096), { maxLength: 6 }), (input, points) => {
        const whole = record(input, [bytes(input)]);
        expect(whole.errors).toEqual([]);
        const split = record(input, cut(bytes(input), points));
        expect(split.full).toEqual(whole.full);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);

  test("random bytes never throw; a refusal is a typed H1Error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.array(fc.nat(400), { maxLength: 4 }), (data, asResponse, points) => {
        const input = (asResponse ? "HTTP/1.1 " : "") + text(data);
        const whole = record(input, [bytes(input)]);
        const split = record(input, cut(bytes(input), points));
        expect(split.short).toEqual(whole.short);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);

  test("mutated valid messages never throw, parse alike whatever the splits, and are framed as RFC 9112 §6 frames them", () => {
    const seeds = [...valid, ...invalid].map((c) => c.input).filter((i) => !i.startsWith("HTTP/"));
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...seeds), request),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(4096), { maxLength: 4 }),
        (seed, ms, points) => {
          const input = mutate(seed, ms);
          if (input.startsWith("HTTP/")) return;
          const whole = record(input, [bytes(input)]);
          const split = record(input, cut(bytes(input), points));
          expect(split.full).toEqual(whole.full);
          const first = whole.heads[0];
          if (first === undefined) return;
          const headEnd = input.indexOf("\r\n\r\n");
          const ref = referenceFraming(input.slice(0, headEnd));
          expect(ref.kind).not.toBe("invalid");
          if (ref.kind === "length") {
            expect(first.bodyKind).toBe(BodyKind.Length);
            expect(first.contentLength).toBe(ref.length);
          } else if (ref.kind === "chunked") {
            expect(first.bodyKind).toBe(BodyKind.Chunked);
          } else {
            expect(first.bodyKind).toBe(BodyKind.None);
          }
        },
      ),
      { ...FUZZ, numRuns: FUZZ.numRuns * 3 },
    );
  }, FUZZ_TIMEOUT_MS);

  test("serialize(parse(x)) parses to the same head and fields", () => {
    fc.assert(
      fc.property(fc.oneof(request, response), (input) => {
        const first = record(input, [bytes(input)]).heads[0]!;
        const out = first.isRequest
          ? serializeRequestHead(first, { framing: { kind: "keep" } })
          : serializeResponseHead(first, { framing: { kind: "keep" } });
        const again = drive({ ...caseOf(text(out)), close: false }, [out], false).heads[0]!;
        expect(shortHead(again)).toBe(shortHead(first));
        expect(fieldsOf(again)).toBe(fieldsOf(first));
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});
