import { describe, expect, test } from "bun:test";
import { CONNECTION, CONTENT_LENGTH, HOST } from "../../../src/http1/fields.ts";
import { H1Parser } from "../../../src/http1/parser.ts";
import { COPY_BELOW } from "../../../src/http1/slab.ts";
import { BodyKind, H1Error, type H1Events, type Head } from "../../../src/http1/types.ts";
import { bytes, text } from "./harness.ts";

interface Log {
  events: string[];
  heads: Head[];
  data: Uint8Array[];
  trailers: Head[];
  errors: H1Error[];
}

function recorder(hooks: Partial<H1Events> = {}): { log: Log; events: H1Events } {
  const log: Log = { events: [], heads: [], data: [], trailers: [], errors: [] };
  return {
    log,
    events: {
      head(h) {
        log.heads.push(h);
        log.events.push(h.isRequest ? `head ${h.method} ${h.target}` : `head ${h.status}`);
        hooks.head?.(h);
      },
      data(d) {
        log.data.push(d);
        log.events.push(`data ${text(d)}`);
        hooks.data?.(d);
      },
      trailers(t) {
        log.trailers.push(t);
        log.events.push("trailers");
        hooks.trailers?.(t);
      },
      end() {
        log.events.push("end");
        hooks.end?.();
      },
      error(e) {
        log.errors.push(e);
        log.events.push(`error ${e.code}`);
        hooks.error?.(e);
      },
    },
  };
}

describe("zero copy", () => {
  // Chunks above COPY_BELOW are viewed in place; smaller ones are copied once
  // into a slab (a view of a fresh runtime buffer costs more than the copy).
  const big = "x".repeat(COPY_BELOW + 1);

  test("Content-Length body bytes are views of the pushed chunks", () => {
    const { log, events } = recorder();
    const p = new H1Parser("request", events);
    const first = bytes(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${2 * big.length}\r\n\r\n${big}`);
    const second = bytes(big);
    p.push(first);
    p.push(second);
    expect(log.data.map(text)).toEqual([big, big]);
    expect(log.data[0]!.buffer).toBe(first.buffer);
    expect(log.data[0]!.byteOffset).toBe(first.length - big.length);
    expect(log.data[1]).toBe(second); // a whole chunk of body goes out as is
    expect(log.heads[0]!.raw.buffer).toBe(first.buffer); // a head within one chunk is not copied either
  });

  test("chunked payload bytes are views of the pushed chunks", () => {
    const { log, events } = recorder();
    const p = new H1Parser("response", events);
    const size = big.length.toString(16);
    const chunk = bytes(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\n${big}\r\n2;x=y\r\nde\r\n0\r\n\r\n`);
    p.push(chunk);
    expect(log.data.map(text)).toEqual([big, "de"]);
    for (const d of log.data) expect(d.buffer).toBe(chunk.buffer);
    expect(log.events.at(-1)).toBe("end");
  });

  test("a head straddling chunks is joined once; the body after it stays a view", () => {
    const { log, events } = recorder();
    const p = new H1Parser("request", events);
    const a = bytes("POST / HTTP/1.1\r\nHo");
    const b = bytes(`st: h\r\nContent-Length: ${big.length}\r\n\r\n${big}`);
    p.push(a);
    expect(log.events).toEqual([]);
    p.push(b);
    const h = log.heads[0]!;
    expect(text(h.raw)).toBe(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${big.length}\r\n\r\n`);
    expect(h.raw.buffer).not.toBe(a.buffer);
    expect(log.data[0]!.buffer).toBe(b.buffer);
  });

  test("a small chunk is copied once: head and body share one copy, and the pushed buffer may be reused", () => {
    const { log, events } = recorder();
    const p = new H1Parser("response", events);
    const chunk = bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    p.push(chunk);
    expect(log.heads[0]!.raw.buffer).not.toBe(chunk.buffer);
    expect(log.data[0]!.buffer).toBe(log.heads[0]!.raw.buffer);
    chunk.fill(0);
    expect(text(log.data[0]!)).toBe("hello");
    expect(log.heads[0]!.get("content-length")).toBe("5");
  });
});

describe("Head", () => {
  test("offsets, names, values, nameIs, get", () => {
    const { log, events } = recorder();
    const input = "GET /p HTTP/1.1\r\nHOST:  Example.com \r\nX-Empty:\r\nconnection: Keep-Alive\r\nCONNECTION: X-Foo , te\r\nContent-Length: 0\r\n\r\n";
    new H1Parser("request", events).push(bytes(input));
    const h = log.heads[0]!;
    expect(text(h.raw)).toBe(input);
    expect(h.fieldCount).toBe(5);
    expect(h.fieldOffsets.length).toBe(20);
    expect(text(h.raw.subarray(h.fieldOffsets[0], h.fieldOffsets[1]))).toBe("HOST");
    expect(text(h.raw.subarray(h.fieldOffsets[2], h.fieldOffsets[3]))).toBe("Example.com");
    expect(h.name(0)).toBe("host");
    expect(h.value(0)).toBe("Example.com");
    expect(h.value(1)).toBe("");
    expect(h.nameIs(0, HOST)).toBe(true);
    expect(h.nameIs(2, CONNECTION)).toBe(true);
    expect(h.nameIs(3, CONNECTION)).toBe(true);
    expect(h.nameIs(4, CONTENT_LENGTH)).toBe(true);
    expect(h.nameIs(0, CONTENT_LENGTH)).toBe(false);
    expect(h.get("connection")).toBe("Keep-Alive");
    expect(h.get("x-missing")).toBeUndefined();
    expect(h.host).toBe("Example.com");
    expect(h.connectionTokens).toEqual(["keep-alive", "x-foo", "te"]);
    expect(h.keepAlive).toBe(true);
    expect(h.bodyKind).toBe(BodyKind.Length);
    expect(h.contentLength).toBe(0);
    expect(h.versionMinor).toBe(1);
    expect(h.status).toBe(0);
    expect(h.isRequest).toBe(true);
  });

  test("obs-text values decode one char per byte", () => {
    const { log, events } = recorder();
    new H1Parser("request", events).push(bytes("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xe9 \x80\xff\r\n\r\n"));
    expect(log.heads[0]!.value(1)).toBe("caf\xe9 \x80\xff");
    const long = "x".repeat(40);
    const r2 = recorder();
    new H1Parser("request", r2.events).push(bytes(`GET /${long}?q HTTP/1.1\r\nHost: h\r\nA: ${long}\xe9\r\nB: ${long}\r\n\r\n`));
    const h = r2.log.heads[0]!;
    expect([h.target, h.value(1), h.value(2)]).toEqual([`/${long}?q`, `${long}\xe9`, long]);
  });

  const ka = (side: "request" | "response", head: string) => {
    const { log, events } = recorder();
    new H1Parser(side, events).push(bytes(head));
    expect(log.errors).toEqual([]);
    return log.heads[0]!;
  };

  test("keepAlive per RFC 9112 §9.3", () => {
    expect(ka("request", "GET / HTTP/1.1\r\nHost: h\r\n\r\n").keepAlive).toBe(true);
    expect(ka("request", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keepAlive).toBe(false);
    expect(ka("request", "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: CLOSE\r\n\r\n").keepAlive).toBe(false);
    expect(ka("request", "GET / HTTP/1.0\r\n\r\n").keepAlive).toBe(false);
    expect(ka("request", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keepAlive).toBe(true);
    expect(ka("request", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keepAlive).toBe(false);
    expect(ka("response", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive).toBe(true);
    expect(ka("response", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive).toBe(false);
    expect(ka("response", "HTTP/1.1 200 OK\r\n\r\n").keepAlive).toBe(false); // until close
  });

  test("HTTP/1.0 requests: Upgrade and Expect are ignored", () => {
    const h = ka("request", "GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\nExpect: 100-continue\r\n\r\n");
    expect(h.upgrade).toBeUndefined();
    expect(h.expectContinue).toBe(false);
    expect(ka("request", "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continuex\r\n\r\n").expectContinue).toBe(false);
  });
});

describe("flow", () => {
  const pipelined = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3";

  test("after end() nothing is parsed until next(); held bytes are counted", () => {
    const { log, events } = recorder();
    const p = new H1Parser("request", events);
    p.push(bytes(pipelined));
    expect(log.events).toEqual(["head GET /1", "end"]);
    expect(p.buffered).toBe(pipelined.length - 28);
    p.push(bytes(" HTTP/1.1\r\n"));
    expect(log.events.length).toBe(2);
    p.next();
    expect(log.events).toEqual(["head GET /1", "end", "head GET /2", "end"]);
    p.next();
    expect(p.buffered).toBe(0); // the third head is incomplete: scanned, not held
    p.push(bytes("Host: h\r\n\r\n"));
    expect(log.events.at(-2)).toBe("head GET /3");
  });

  test("inside end(), buffered already counts the bytes after the message in the same chunk (a server's leftovers)", () => {
    const seen: number[] = [];
    let p: H1Parser;
    const { events } = recorder({ end: () => seen.push(p.buffered) });
    p = new H1Parser("response", events);
    p.push(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"));
    p.push(bytes("HTTP/1.1 204 No Content\r\n\r\n"));
    expect(seen).toEqual([5]);
    expect(p.buffered).toBe(5 + 27);
    p.next();
    // A clean end reports nothing after it, for each way a message ends.
    for (const msg of ["HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"]) {
      seen.length = 0;
      const q = new H1Parser("response", recorder({ end: () => seen.push(q.buffered) }).events);
      q.push(bytes(msg));
      expect(seen).toEqual([0]);
    }
  });

  test("next() in the middle of a message is a programming error; after an error it does nothing", () => {
    const { events } = recorder();
    const p = new H1Parser("request", events);
    p.push(bytes("GET / HTTP/1.1\r\n"));
    expect(() => p.next()).toThrow();
    p.push(bytes("Host: h\r\nHost: h\r\n\r\n"));
    expect(() => p.next()).not.toThrow();
  });

  test("after an error nothing more is emitted", () => {
    const { log, events } = recorder();
    const p = new H1Parser("request", events);
    p.push(bytes("GET / HTTP/1.1\r\nHost: h\r\nX : y\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    p.push(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    p.finish();
    expect(log.events).toEqual(["error space-before-colon"]);
    expect(log.errors[0]).toBeInstanceOf(H1Error);
    expect(log.errors[0]!.status).toBe(400);
    expect(p.buffered).toBe(0);
  });

  test("tunnel() flushes held bytes at once, then forwards every push", () => {
    const { log, events } = recorder();
    const p = new H1Parser("response", events);
    p.push(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nab"));
    p.push(bytes("cd"));
    expect(log.events).toEqual(["head 101", "end"]);
    expect(p.buffered).toBe(4);
    p.tunnel();
    expect(log.events).toEqual(["head 101", "end", "data ab", "data cd"]);
    p.push(bytes("HTTP/1.1 200 OK\r\n"));
    p.finish();
    expect(log.events.at(-1)).toBe("data HTTP/1.1 200 OK\r\n");
    expect(p.buffered).toBe(0);
  });

  test("tunnel() in the middle of a message is a programming error", () => {
    const { events } = recorder();
    const p = new H1Parser("request", events);
    p.push(bytes("GET / HT"));
    expect(() => p.tunnel()).toThrow();
  });

  test("finish() between messages does nothing; a held partial message is truncated when reached", () => {
    const { log, events } = recorder();
    const p = new H1Parser("request", events);
    p.push(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HT"));
    p.finish();
    expect(log.events).toEqual(["head GET /", "end"]);
    p.next();
    expect(log.events).toEqual(["head GET /", "end", "error truncated"]);

    const r2 = recorder();
    const q = new H1Parser("request", r2.events);
    q.push(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    q.next();
    q.finish();
    expect(r2.log.events).toEqual(["head GET /", "end"]);
  });

  test("the response method: HEAD then GET on one connection", () => {
    const { log, events } = recorder();
    const p = new H1Parser("response", events);
    p.setRequestMethod("HEAD");
    p.push(bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"));
    expect(log.heads[0]!.bodyKind).toBe(BodyKind.None);
    expect(log.events).toEqual(["head 200", "end"]);
    p.setRequestMethod("GET");
    p.next();
    expect(log.events).toEqual(["head 200", "end", "head 200", "data abc", "end"]);
  });

  test("1xx heads do not end the message; the final one does", () => {
    const { log, events } = recorder();
    const p = new H1Parser("response", events);
    p.push(bytes("HTTP/1.1 100 Continue\r\n\r\n"));
    expect(log.events).toEqual(["head 100"]);
    p.push(bytes("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"));
    expect(log.events).toEqual(["head 100", "head 102", "head 204", "end"]);
  });

  test("re-entrant calls from callbacks keep the order", () => {
    const seen: string[] = [];
    let p!: H1Parser;
    let pushed = false;
    const { events } = recorder({
      data(d) {
        seen.push(text(d));
        if (!pushed) {
          pushed = true;
          p.push(bytes("456")); // e.g. a synchronous loop-back: queued, parsed after the current chunk
        }
      },
      end() {
        seen.push("end");
        p.next();
      },
    });
    p = new H1Parser("request", events);
    p.push(bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\n123"));
    p.push(bytes("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"));
    expect(seen).toEqual(["123", "456", "end", "end"]);
  });

  test("a huge head fed byte by byte is parsed in linear time", () => {
    const { log, events } = recorder();
    const p = new H1Parser("request", events, { maxHeadBytes: 1 << 20, maxFields: 101 });
    const head = bytes(`GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${"v".repeat(300_000)}\r\n\r\n`);
    const t0 = performance.now();
    for (let i = 0; i < head.length; i++) p.push(head.subarray(i, i + 1));
    const ms = performance.now() - t0;
    expect(log.heads.length).toBe(1);
    expect(log.heads[0]!.value(1).length).toBe(300_000);
    expect(ms).toBeLessThan(3000);
  });

  test("default limits: 101 fields pass, 102 do not; 16 KiB of head", () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join("");
    const run = (input: string) => {
      const { log, events } = recorder();
      new H1Parser("request", events).push(bytes(input));
      return log.events.at(-1);
    };
    expect(run(`GET / HTTP/1.1\r\nHost: h\r\n${fields(100)}\r\n`)).toBe("end");
    expect(run(`GET / HTTP/1.1\r\nHost: h\r\n${fields(101)}\r\n`)).toBe("error too-many-fields");
    expect(run(`GET / HTTP/1.1\r\nHost: h\r\nX: ${"a".repeat(16384 - 32)}\r\n\r\n`)).toBe("end");
    expect(run(`GET / HTTP/1.1\r\nHost: h\r\nX: ${"a".repeat(16384 - 31)}\r\n\r\n`)).toBe("error head-too-large");
    expect(run(`GET /${"a".repeat(16384)} HTTP/1.1\r\nHost: h\r\n\r\n`)).toBe("error line-too-long");
  });

  test("statuses of refusals", () => {
    const err = (side: "request" | "response", input: string, close = false) => {
      const { log, events } = recorder();
      const p = new H1Parser(side, events, { maxHeadBytes: 64, maxFields: 2 });
      p.push(bytes(input));
      if (close) p.finish();
      const e = log.errors[0]!;
      return `${e.status} ${e.code}`;
    };
    expect(err("request", `GET /${"a".repeat(80)} HTTP/1.1\r\n`)).toBe("414 line-too-long");
    expect(err("request", `GET / HTTP/1.1\r\nX: ${"a".repeat(80)}\r\n`)).toBe("431 head-too-large");
    expect(err("request", "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n")).toBe("431 too-many-fields");
    expect(err("request", "GET / HTTP/1.1\r\nHost: h\r\n", true)).toBe("400 truncated");
    expect(err("response", `HTTP/1.1 200 ${"a".repeat(80)}\r\n`)).toBe("502 line-too-long");
    expect(err("response", "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n")).toBe("502 too-many-fields");
    expect(err("response", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", true)).toBe("502 truncated");
  });
});

describe("heads outlive the parser's scratch and slabs", () => {
  test("thousands of kept heads (joined or not) still read back their own fields", () => {
    const kept: Head[] = [];
    const p = new H1Parser("request", {
      head: (h) => kept.push(h),
      data: () => {},
      trailers: () => {},
      end: () => p.next(),
      error: (e) => {
        throw e;
      },
    });
    for (let i = 0; i < 3000; i++) {
      const msg = bytes(`GET /${i} HTTP/1.1\r\nHost: h${i}\r\nX-N: ${"n".repeat(i % 50)}${i}\r\n\r\n`);
      if (i % 2 === 0) p.push(msg);
      else {
        p.push(msg.slice(0, 10));
        p.push(msg.slice(10));
      }
    }
    expect(kept.length).toBe(3000);
    kept.forEach((h, i) => {
      expect(h.target).toBe(`/${i}`);
      expect(h.host).toBe(`h${i}`);
      expect(h.value(1)).toBe(`${"n".repeat(i % 50)}${i}`);
      expect(Array.from(h.fieldOffsets).length).toBe(8);
    });
  });
});
