// HAProxy 2.6's compression decisions (flt_http_comp.c), without sockets.
import { describe, expect, test } from "bun:test";
import { FieldsHead } from "../../../src/http/fields-head.ts";
import { BodyKind } from "../../../src/http/message.ts";
import { chooseAlgo, compressedHead, mayCompress, settingsOf } from "../../../src/stream/compression.ts";

const req = (fields: [string, string][], method = "GET", versionMinor: 0 | 1 = 1) => new FieldsHead(fields, { isRequest: true, method, target: "/", bodyKind: BodyKind.None, versionMinor });
const res = (fields: [string, string][], status = 200, kind: number = BodyKind.Length, length = 100) =>
  new FieldsHead(fields, { isRequest: false, status, bodyKind: kind as 0, contentLength: length });
const s = settingsOf({ algos: ["gzip", "deflate"], types: ["text/"], offload: false }, undefined);

describe("compression decisions", () => {
  test("the algorithm: best q-value, then the configured order; * and identity", () => {
    expect(chooseAlgo(req([["accept-encoding", "deflate, gzip"]]), s)).toBe("deflate");
    expect(chooseAlgo(req([["accept-encoding", "deflate;q=0.5, gzip;q=0.8"]]), s)).toBe("gzip");
    expect(chooseAlgo(req([["accept-encoding", "gzip;q=0"]]), s)).toBeUndefined();
    // `*`: the algorithm written last, HAProxy's list head (measured with 2.6.12).
    expect(chooseAlgo(req([["accept-encoding", "*"]]), s)).toBe("deflate");
    expect(chooseAlgo(req([["accept-encoding", "br"]]), s)).toBeUndefined();
    expect(chooseAlgo(req([]), settingsOf({ algos: ["gzip", "identity"], types: [], offload: false }, undefined))).toBe("identity");
    expect(chooseAlgo(req([["accept-encoding", "deflate"]]), settingsOf(undefined, { algos: ["raw-deflate"], types: [], offload: false }))).toBe("raw-deflate");
    expect(chooseAlgo(req([["accept-encoding", "gzip"], ["user-agent", "Mozilla/4.0 (compatible; MSIE 5.5)"]]), s)).toBeUndefined();
    expect(chooseAlgo(req([["accept-encoding", "gzip"], ["user-agent", "Mozilla/4.0 (compatible; MSIE 7.0; Windows)"]]), s)).toBe("gzip");
  });

  test("the backend's lists first; offload if either says so", () => {
    const both = settingsOf({ algos: ["gzip"], types: ["text/"], offload: true }, { algos: ["deflate"], types: [], offload: false });
    expect(both).toEqual({ algos: ["deflate"], types: ["text/"], offload: true, level: 1 });
    // tune.comp.maxlevel reaches every proxy's settings; the backend's wins as its lists do.
    expect(settingsOf({ algos: ["gzip"], types: [], offload: false, level: 6 }, undefined).level).toBe(6);
  });

  test("which responses", () => {
    const text: [string, string] = ["content-type", "text/html"];
    const r = req([]);
    expect(mayCompress(r, res([text]), s)).toBe(true);
    expect(mayCompress(r, res([text], 200, BodyKind.Chunked, -1), s)).toBe(true);
    expect(mayCompress(r, res([text], 204, BodyKind.None, -1), s)).toBe(false);
    expect(mayCompress(r, res([text], 206), s)).toBe(false);
    expect(mayCompress(r, res([text], 200, BodyKind.Length, 0), s)).toBe(false);
    expect(mayCompress(r, res([text], 200, BodyKind.UntilClose, -1), s)).toBe(false);
    expect(mayCompress(req([], "HEAD"), res([text]), s)).toBe(false);
    expect(mayCompress(req([], "GET", 0), res([text]), s)).toBe(false);
    expect(mayCompress(r, res([text, ["content-encoding", "br"]]), s)).toBe(false);
    expect(mayCompress(r, res([text, ["cache-control", "public, no-transform"]]), s)).toBe(false);
    expect(mayCompress(r, res([["content-type", "image/png"]]), s)).toBe(false);
    expect(mayCompress(r, res([]), s)).toBe(false);
    expect(mayCompress(r, res([["content-type", "multipart/mixed"]]), settingsOf({ algos: ["gzip"], types: [], offload: false }, undefined))).toBe(false);
    expect(mayCompress(r, res([text, ["etag", '"a"'], ["etag", '"b"']]), s)).toBe(false);
    expect(mayCompress(r, res([text, ["etag", "bad"]]), s)).toBe(false);
  });

  test("the compressed head", () => {
    const h = compressedHead(res([["content-type", "text/html"], ["content-length", "100"], ["etag", '"a"']]), "gzip");
    const fields = Array.from({ length: h.fieldCount }, (_, i) => [h.name(i), h.value(i)]);
    expect(fields).toEqual([["content-type", "text/html"], ["etag", 'W/"a"'], ["content-encoding", "gzip"], ["vary", "Accept-Encoding"]]);
    expect(h.bodyKind).toBe(BodyKind.Chunked);
    expect(compressedHead(res([["etag", 'W/"a"']]), "identity").get("content-encoding")).toBeUndefined();
  });
});
