// Drives an H1Parser like the proxy engine would and records what it emits,
// so that the same message can be fed whole, byte by byte or split anywhere
// and the recordings compared.

import { H1Parser } from "../../../src/http1/parser.ts";
import { BodyKind, type H1Error, type H1Limits, type Head } from "../../../src/http1/types.ts";

/** A latin1 string as bytes (one byte per char). */
export function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function text(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

export interface Case {
  name: string;
  side: "request" | "response";
  input: string;
  /** Response side: the methods of the requests answered, in order (default GET). */
  methods?: string[];
  /** Call finish() after the last byte. */
  close?: boolean;
  limits?: H1Limits;
  /** The short recording expected. */
  expect: string[];
}

const KIND = ["none", "length", "chunked", "until-close"];

export function shortHead(h: Head): string {
  const parts: string[] = [];
  if (h.isRequest) parts.push(`head ${h.method} ${h.target} 1.${h.versionMinor}`);
  else parts.push(`head ${h.status} 1.${h.versionMinor}`);
  parts.push(h.bodyKind === BodyKind.Length ? `length:${h.contentLength}` : KIND[h.bodyKind]!);
  parts.push(h.keepAlive ? "ka" : "close");
  if (h.host !== undefined) parts.push(`host=${h.host}`);
  if (h.upgrade !== undefined) parts.push(`upgrade=${h.upgrade}`);
  if (h.expectContinue) parts.push("expect");
  return parts.join(" ");
}

export function fieldsOf(h: Head): string {
  const out: string[] = [];
  for (let i = 0; i < h.fieldCount; i++) out.push(`${h.name(i)}=${h.value(i)}`);
  return out.join("|");
}

function fullHead(h: Head): string {
  return `${shortHead(h)} conn=[${h.connectionTokens.join(",")}] fields{${fieldsOf(h)}} raw=${JSON.stringify(text(h.raw))}`;
}

export interface Recording {
  short: string[];
  full: string[];
  heads: Head[];
  errors: H1Error[];
}

/**
 * Feeds `pieces` to a new parser. The driver answers end() like the engine:
 * tunnel() after a 101 / 2xx-to-CONNECT response or after a CONNECT/Upgrade
 * request, otherwise (response side: set the next method, then) next().
 * `inside`: act from within the end() callback; else after push() returns.
 */
export function drive(c: Case, pieces: readonly Uint8Array[], inside: boolean): Recording {
  const short: string[] = [];
  const full: string[] = [];
  const heads: Head[] = [];
  const errors: H1Error[] = [];
  let body = "";
  let tunneled = false;
  let methodIndex = 0;
  let lastHead: Head | undefined;
  let pending = 0;
  const flush = () => {
    if (body !== "") {
      const line = `${tunneled ? "raw" : "body"} ${JSON.stringify(body)}`;
      short.push(line);
      full.push(line);
      body = "";
    }
  };
  const both = (s: string, f = s) => {
    flush();
    short.push(s);
    full.push(f);
  };
  const methods = c.methods ?? ["GET"];
  const act = () => {
    const h = lastHead!;
    const tunnel = h.isRequest ? h.method === "CONNECT" || h.upgrade !== undefined : h.status === 101 || (h.status < 300 && methods[methodIndex] === "CONNECT");
    if (tunnel) {
      flush();
      tunneled = true;
      parser.tunnel();
      return;
    }
    if (!h.isRequest) {
      methodIndex++;
      parser.setRequestMethod(methods[methodIndex] ?? "GET");
    }
    parser.next();
  };
  const parser: H1Parser = new H1Parser(
    c.side,
    {
      head(h) {
        heads.push(h);
        lastHead = h;
        both(shortHead(h), fullHead(h));
      },
      data(chunk) {
        if (chunk.length === 0) throw new Error("empty data()");
        body += text(chunk);
      },
      trailers(t) {
        both(`trailers ${fieldsOf(t)}`, `trailers ${fieldsOf(t)} raw=${JSON.stringify(text(t.raw))}`);
      },
      end() {
        both("end");
        if (inside) act();
        else pending++;
      },
      error(e) {
        errors.push(e);
        both(`error ${e.status} ${e.code}`);
      },
    },
    c.limits,
  );
  parser.setRequestMethod(methods[0]!);
  const settle = () => {
    while (pending > 0) {
      pending--;
      act();
    }
  };
  for (const piece of pieces) {
    parser.push(piece);
    settle();
  }
  if (c.close) {
    parser.finish();
    settle();
  }
  flush();
  return { short, full, heads, errors };
}

/** Splits of `input`: whole, byte by byte, every two-way split, and a spread of three-way splits. */
export function* splits(input: Uint8Array): Generator<{ label: string; pieces: Uint8Array[] }> {
  const n = input.length;
  yield { label: "whole", pieces: [input.slice()] };
  yield { label: "bytes", pieces: Array.from({ length: n }, (_, i) => input.slice(i, i + 1)) };
  for (let i = 1; i < n; i++) yield { label: `split ${i}`, pieces: [input.slice(0, i), input.slice(i)] };
  const step = Math.max(1, Math.floor(n / 12));
  for (let i = 1; i < n; i += step) {
    for (let j = i + 1; j < n; j += step) {
      yield { label: `split ${i},${j}`, pieces: [input.slice(0, i), input.slice(i, j), input.slice(j)] };
    }
  }
}
