// The HTTP cache's store and HAProxy 2.6's cacheability rules, without sockets.
import { describe, expect, test } from "bun:test";
import { FieldsHead } from "../../../src/http/fields-head.ts";
import { BodyKind } from "../../../src/http/message.ts";
import { HttpCache, ageOf } from "../../../src/rules/cache/store.ts";
import { requestCacheability, responseLifetime } from "../../../src/rules/cache/cacheability.ts";

const req = (fields: [string, string][] = [], method = "GET") => new FieldsHead(fields, { isRequest: true, method, target: "/x", bodyKind: BodyKind.None, host: "h" });
const res = (fields: [string, string][], status = 200, length = -1) =>
  new FieldsHead(fields, { isRequest: false, status, bodyKind: length >= 0 ? BodyKind.Length : BodyKind.Chunked, contentLength: length });
const cache = (over: Partial<ConstructorParameters<typeof HttpCache>[0]> = {}) =>
  new HttpCache({ totalMaxSize: 1000, maxObjectSize: 400, maxAgeSeconds: 60, processVary: true, maxSecondaryEntries: 2, ...over });

function put(c: HttpCache, key: string, body: number, now = 0, request = req(), fields: [string, string][] = [["cache-control", "max-age=30"]]): boolean {
  const sink = c.store(key, request, res(fields), now);
  if (sink === undefined) return false;
  sink.data(new Uint8Array(body));
  sink.end();
  return true;
}

describe("cacheability", () => {
  test("requests", () => {
    expect(requestCacheability(req())).toEqual({ use: true, store: true });
    expect(requestCacheability(req([], "POST"))).toEqual({ use: false, store: false });
    expect(requestCacheability(req([["authorization", "Basic x"]]))).toEqual({ use: false, store: false });
    expect(requestCacheability(req([["cache-control", "no-cache"]]))).toEqual({ use: false, store: true });
    expect(requestCacheability(req([["pragma", "no-cache"]]))).toEqual({ use: false, store: true });
    expect(requestCacheability(req([["cache-control", "no-store"]]))).toEqual({ use: true, store: false });
  });

  test("response lifetimes: s-maxage, then max-age, then Expires, then a validator; the cache's max-age caps them", () => {
    expect(responseLifetime(res([["cache-control", "max-age=10, s-maxage=20"]]), 60, false)?.seconds).toBe(20);
    expect(responseLifetime(res([["cache-control", "max-age=600"]]), 60, false)?.seconds).toBe(60);
    expect(responseLifetime(res([["date", "Sun, 06 Dec 2026 10:00:00 GMT"], ["expires", "Sun, 06 Dec 2026 10:00:30 GMT"]]), 60, false)?.seconds).toBe(30);
    expect(responseLifetime(res([["last-modified", "Sun, 06 Dec 2026 10:00:00 GMT"]]), 60, false)?.seconds).toBe(60);
    expect(responseLifetime(res([]), 60, false)).toBeUndefined();
    expect(responseLifetime(res([["cache-control", "max-age=10"]], 203), 60, false)).toBeUndefined();
    expect(responseLifetime(res([["cache-control", "max-age=10"], ["vary", "accept-encoding"]]), 60, false)).toBeUndefined();
    expect(responseLifetime(res([["cache-control", "max-age=10"], ["vary", "accept-encoding"]]), 60, true)?.vary).toEqual(["accept-encoding"]);
    expect(responseLifetime(res([["cache-control", "max-age=10"], ["vary", "user-agent"]]), 60, true)).toBeUndefined();
    // HAProxy's, measured: a max-age or s-maxage of 0 is never stored, whatever the other says.
    expect(responseLifetime(res([["cache-control", "s-maxage=30, max-age=0"]]), 60, false)).toBeUndefined();
    expect(responseLifetime(res([["cache-control", "s-maxage=0, max-age=30"]]), 60, false)).toBeUndefined();
    // Expires without Date: compared with the clock.
    const wall = Date.parse("Sun, 06 Dec 2026 10:00:00 GMT");
    expect(responseLifetime(res([["expires", "Sun, 06 Dec 2026 10:00:40 GMT"]]), 60, false, wall)?.seconds).toBe(40);
  });

  test("a response already as old as its lifetime (its Age) is not stored; an older one expires sooner", () => {
    const c = new HttpCache({ totalMaxSize: 1 << 20, maxObjectSize: 1 << 16, maxAgeSeconds: 60, processVary: false, maxSecondaryEntries: 10 });
    expect(c.store("old", req(), res([["cache-control", "max-age=60"], ["age", "100"]]), 0)).toBeUndefined();
    const sink = c.store("aged", req(), res([["cache-control", "max-age=60"], ["age", "50"]]), 0)!;
    sink.end();
    expect(c.lookup("aged", req(), 9_000)).toBeDefined();
    expect(c.lookup("aged", req(), 10_000)).toBeUndefined();
  });
});

describe("HttpCache", () => {
  test("a hit until it expires, with its Age", () => {
    const c = cache();
    expect(put(c, "k", 100, 1000)).toBe(true);
    const hit = c.lookup("k", req(), 6000)!;
    expect(hit.body.length).toBe(100);
    expect(ageOf(hit, 6000)).toBe(5);
    expect(c.lookup("k", req(), 31000)).toBeUndefined();
    expect(c.entries).toBe(0);
  });

  test("max-object-size counts the head and the body; a body that grows past it is dropped", () => {
    const c = cache();
    expect(put(c, "big", 500)).toBe(true);
    expect(c.lookup("big", req(), 1)).toBeUndefined();
    expect(c.store("k", req(), res([["cache-control", "max-age=30"]], 200, 1000), 0)).toBeUndefined();
  });

  test("total-max-size: the oldest entries go first", () => {
    const c = cache();
    for (const k of ["a", "b", "c", "d"]) put(c, k, 300);
    expect(c.bytesUsed).toBeLessThanOrEqual(1000);
    expect(c.lookup("a", req(), 1)).toBeUndefined();
    expect(c.lookup("d", req(), 1)).toBeDefined();
  });

  test("variants by Accept-Encoding, at most max-secondary-entries", () => {
    const c = cache();
    const vary: [string, string][] = [["cache-control", "max-age=30"], ["vary", "Accept-Encoding"]];
    expect(put(c, "v", 10, 0, req([["accept-encoding", "gzip, br"]]), vary)).toBe(true);
    expect(put(c, "v", 10, 0, req([["accept-encoding", "identity"]]), vary)).toBe(true);
    expect(put(c, "v", 10, 0, req([["accept-encoding", "deflate"]]), vary)).toBe(false);
    expect(c.lookup("v", req([["accept-encoding", "br,gzip"]]), 1)).toBeDefined();
    expect(c.lookup("v", req([["accept-encoding", "deflate"]]), 1)).toBeUndefined();
  });

  test("an aborted body is not stored", () => {
    const c = cache();
    const sink = c.store("k", req(), res([["cache-control", "max-age=30"]]), 0)!;
    sink.data(new Uint8Array(10));
    sink.abort();
    sink.end();
    expect(c.lookup("k", req(), 1)).toBeUndefined();
  });
});
