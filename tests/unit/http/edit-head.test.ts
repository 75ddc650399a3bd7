// Copy-on-write head edits (src/http/edit-head.ts) over real HTTP/1.1 heads
// (parsed by the codec) and HTTP/2-style FieldsHeads, and the request-target
// arithmetic beneath set-path/set-query/set-uri (src/http/request-target.ts).
import { describe, expect, test } from "bun:test";
import {
  addField,
  deleteField,
  deleteFieldsWhere,
  fieldName,
  isFieldValue,
  isToken,
  mapFieldListValues,
  mapFieldValues,
  mapListElements,
  setField,
  setMethod,
  setStatus,
  setTarget,
  setUri,
} from "../../../src/http/edit-head.ts";
import { FieldsHead } from "../../../src/http/fields-head.ts";
import { BodyKind, type Head } from "../../../src/http/message.ts";
import {
  authorityOf,
  isWritableTarget,
  pathAndQuery,
  pathStart,
  withAuthority,
  withPath,
  withPathAndQuery,
  withQuery,
} from "../../../src/http/request-target.ts";
import { H1Parser } from "../../../src/http1/parser.ts";
import { serializeRequestHead, serializeResponseHead } from "../../../src/http1/serialize.ts";

function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function text(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** The head an HTTP/1.1 message parses to. */
function h1(message: string, side: "request" | "response" = "request"): Head {
  let head: Head | undefined;
  const p = new H1Parser(side, {
    head: (h) => {
      head = h;
    },
    data: () => {},
    trailers: () => {},
    end: () => {},
    error: (e) => {
      throw new Error(e.code);
    },
  });
  if (side === "response") p.setRequestMethod("GET");
  p.push(bytes(message));
  if (head === undefined) throw new Error("no head");
  return head;
}

function fields(h: Head): string {
  const out: string[] = [];
  for (let i = 0; i < h.fieldCount; i++) out.push(`${h.originalName(i)}: ${h.value(i)}`);
  return out.join(" | ");
}

const GET = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: text/html, */*\r\nX-One: 1\r\nx-one: 2\r\n\r\n";

describe("field edits", () => {
  test("set replaces every occurrence, any case, and appends at the end", () => {
    const head = h1(GET);
    const next = setField(head, fieldName("X-ONE"), "3")!;
    expect(fields(next)).toBe("Host: example.com | Accept: text/html, */* | X-ONE: 3");
    expect(fields(head)).toBe("Host: example.com | Accept: text/html, */* | X-One: 1 | x-one: 2");
    expect(next.get("x-one")).toBe("3");
  });

  test("add appends and keeps the others", () => {
    const next = addField(h1(GET), fieldName("X-One"), "9")!;
    expect(fields(next)).toBe("Host: example.com | Accept: text/html, */* | X-One: 1 | x-one: 2 | X-One: 9");
  });

  test("delete by name, any case; nothing to delete returns the same head", () => {
    const head = h1(GET);
    expect(fields(deleteField(head, fieldName("X-one")))).toBe("Host: example.com | Accept: text/html, */*");
    expect(deleteField(head, fieldName("X-Absent"))).toBe(head);
  });

  test("delete by a test on lower-case names", () => {
    const head = h1(GET);
    expect(fields(deleteFieldsWhere(head, (n) => n.startsWith("x-")))).toBe("Host: example.com | Accept: text/html, */*");
    expect(deleteFieldsWhere(head, (n) => n === "nope")).toBe(head);
  });

  test("map over whole values; unchanged returns the same head", () => {
    const head = h1(GET);
    const next = mapFieldValues(head, fieldName("x-one"), (v) => (v === "2" ? "two" : undefined))!;
    expect(fields(next)).toBe("Host: example.com | Accept: text/html, */* | X-One: 1 | x-one: two");
    expect(mapFieldValues(head, fieldName("x-one"), () => undefined)).toBe(head);
  });

  test("map over list elements, quoted commas kept together", () => {
    expect(mapListElements("a, b,c", (e) => (e === "b" ? "B" : undefined))).toBe("a,B,c");
    expect(mapListElements("a, b, c", (e) => (e === "a" ? "A" : undefined))).toBe("A, b, c");
    expect(mapListElements(`x="1,2", y`, (e) => (e === `x="1,2"` ? "z" : undefined))).toBe("z, y");
    expect(mapListElements("a, b", () => undefined)).toBeUndefined();
    const next = mapFieldListValues(h1(GET), fieldName("accept"), (e) => (e === "*/*" ? "text/plain" : undefined))!;
    expect(next.get("accept")).toBe("text/html,text/plain");
  });

  test("values that could not be written are refused", () => {
    const head = h1(GET);
    expect(setField(head, fieldName("X"), "a\r\nInjected: 1")).toBeUndefined();
    expect(addField(head, fieldName("X"), "\u0100")).toBeUndefined();
    expect(mapFieldValues(head, fieldName("x-one"), () => "bad\n")).toBeUndefined();
    expect(isFieldValue("tab\tok")).toBe(true);
    expect(isToken("X-Ok")).toBe(true);
    expect(isToken("no space")).toBe(false);
    expect(() => fieldName("bad name")).toThrow("invalid field name");
  });
});

describe("what a derived head keeps", () => {
  test("framing, version and connection semantics of the original", () => {
    const head = h1("POST /up HTTP/1.0\r\nHost: h\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nContent-Length: 5\r\n\r\nhello");
    const next = setField(head, fieldName("X-New"), "v")!;
    expect(next.bodyKind).toBe(BodyKind.Length);
    expect(next.contentLength).toBe(5);
    expect(next.versionMinor).toBe(0);
    expect(next.keepAlive).toBe(head.keepAlive);
    expect(next.connectionTokens).toEqual(["keep-alive", "x-hop"]);
    expect(next.method).toBe("POST");
    expect(next.target).toBe("/up");
    // The writer still drops the hop-by-hop field the Connection field named.
    const out = text(serializeRequestHead(next, { framing: { kind: "length", length: 5 } }));
    expect(out).toBe("POST /up HTTP/1.1\r\nHost: h\r\nX-New: v\r\nContent-Length: 5\r\n\r\n");
  });

  test("upgrade and 100-continue are kept", () => {
    const ws = h1("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
    expect(setField(ws, fieldName("X"), "1")!.upgrade).toBe("websocket");
    const cont = h1("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
    expect(addField(cont, fieldName("X"), "1")!.expectContinue).toBe(true);
  });

  test("host follows the Host fields", () => {
    const head = h1(GET);
    expect(setField(head, fieldName("Host"), "other.example")!.host).toBe("other.example");
    const gone = deleteField(head, fieldName("host"));
    expect(gone.host).toBeUndefined();
    expect(gone.hasHost).toBe(false);
  });

  test("an HTTP/2-style head (fields after pseudo-headers) is edited from its own fields", () => {
    const list: [string, string][] = [[":method", "GET"], [":path", "/"], ["host", "h2.example"], ["accept", "*/*"]];
    const head = new FieldsHead(list, { isRequest: true, method: "GET", target: "/", bodyKind: BodyKind.None, host: "h2.example" }, 2);
    const next = setField(head, fieldName("accept"), "text/plain")!;
    expect(fields(next)).toBe("host: h2.example | accept: text/plain");
    expect(next.host).toBe("h2.example");
    expect(fields(head)).toBe("host: h2.example | accept: */*");
  });

  test("get compares names without case", () => {
    const head = new FieldsHead([["X-Mixed", "v"]], { isRequest: true, bodyKind: BodyKind.None });
    expect(head.get("x-mixed")).toBe("v");
    expect(head.get("x-mixe")).toBeUndefined();
  });
});

describe("start line edits", () => {
  test("method", () => {
    const head = h1(GET);
    expect(setMethod(head, "POST")!.method).toBe("POST");
    expect(setMethod(head, "GET")).toBe(head);
    expect(setMethod(head, "BAD METHOD")).toBeUndefined();
    expect(setMethod(head, "")).toBeUndefined();
  });

  test("target as given; Host untouched", () => {
    const next = setTarget(h1(GET), "/new?q")!;
    expect(next.target).toBe("/new?q");
    expect(next.host).toBe("example.com");
    expect(setTarget(h1(GET), "/with space")).toBeUndefined();
    expect(setTarget(h1(GET), "")).toBeUndefined();
  });

  test("set-uri with an absolute URI rewrites every Host field", () => {
    const next = setUri(h1(GET), "http://user@new.example:8080/p?q")!;
    expect(next.target).toBe("http://user@new.example:8080/p?q");
    expect(next.get("host")).toBe("new.example:8080");
    expect(next.host).toBe("new.example:8080");
    expect(setUri(h1(GET), "/origin")!.host).toBe("example.com");
    expect(setUri(h1(GET), "http:///nohost")).toBeUndefined();
  });

  test("Host set on an absolute-form request rewrites the target's authority", () => {
    const head = h1("GET http://old.example/p?q HTTP/1.1\r\nHost: old.example\r\n\r\n");
    const next = setField(head, fieldName("Host"), "new.example")!;
    expect(next.target).toBe("http://new.example/p?q");
    const origin = setField(h1(GET), fieldName("Host"), "new.example")!;
    expect(origin.target).toBe("/a/b?x=1");
  });

  test("status and reason; the writer uses the reason given", () => {
    const res = h1("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "response");
    const next = setStatus(res, 503, "Slow Down")!;
    expect(next.status).toBe(503);
    expect(text(serializeResponseHead(next, { framing: { kind: "length", length: 0 } }))).toBe(
      "HTTP/1.1 503 Slow Down\r\nContent-Length: 0\r\n\r\n",
    );
    const plain = setStatus(res, 431)!;
    expect(text(serializeResponseHead(plain, { framing: { kind: "none" } }))).toBe("HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n");
    expect(setStatus(res, 99)).toBeUndefined();
    expect(setStatus(res, 1000)).toBeUndefined();
    expect(setStatus(h1(GET), 200)).toBeUndefined();
  });
});

describe("request-target parts", () => {
  const rows: [target: string, start: number, pq: string][] = [
    ["/a/b?x=1", 0, "/a/b?x=1"],
    ["http://h.example/a?b", 16, "/a?b"],
    ["https://h:8443", 14, ""],
    ["http://h?q=1", 8, "?q=1"],
    ["*", -1, ""],
    ["h.example:443", -1, ""],
  ];
  for (const [target, start, pq] of rows) {
    test(`${target}: path at ${start}`, () => {
      expect(pathStart(target)).toBe(start);
      expect(pathAndQuery(target)).toBe(pq);
    });
  }

  const edits: [fn: string, target: string, arg: string, out: string][] = [
    ["path", "/a/b?x=1", "/c", "/c?x=1"],
    ["path", "/a/b", "/c", "/c"],
    ["path", "http://h/a?x", "/c", "http://h/c?x"],
    ["path", "*", "/c", "/c"],
    ["pathq", "/a?x=1", "/c", "/c"],
    ["pathq", "http://h/a?x", "/c?y", "http://h/c?y"],
    ["query", "/a?x=1", "y=2", "/a?y=2"],
    ["query", "/a", "y=2", "/a?y=2"],
    ["query", "/a", "", "/a"],
    ["query", "/a?x=1", "", "/a?"],
  ];
  for (const [fn, target, arg, out] of edits) {
    test(`${fn} ${JSON.stringify(arg)} on ${target} → ${out}`, () => {
      const f = fn === "path" ? withPath : fn === "pathq" ? withPathAndQuery : withQuery;
      expect(f(target, arg)).toBe(out);
    });
  }

  test("authority of absolute-form and CONNECT targets", () => {
    expect(authorityOf("http://u:p@h:1/x", false)).toBe("h:1");
    expect(authorityOf("/x", false)).toBeUndefined();
    expect(authorityOf("h:443", true)).toBe("h:443");
    expect(withAuthority("http://a/x", false, "b")).toBe("http://b/x");
    expect(withAuthority("/x", false, "b")).toBe("/x");
    expect(isWritableTarget("/ok")).toBe(true);
    expect(isWritableTarget("/é")).toBe(false);
  });
});
