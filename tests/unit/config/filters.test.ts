// compression, filter and cache lines (issue 19, compress): both syntaxes give
// the same model; HAProxy 2.6's errors and its one warning.
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, warningsOf, withoutOrigins } from "./helpers.ts";

const CFG = lines(
  "defaults",
  "    mode http",
  "    compression algo gzip",
  "    compression offload",
  "frontend web",
  "    bind 127.0.0.1:8080",
  "    filter trace name BEFORE hexdump",
  "    filter compression",
  "    filter trace name AFTER quiet",
  "    compression algo deflate gzip",
  "    compression type text/ application/javascript",
  "    compression offload",
  "    http-request cache-use c1",
  "    http-response cache-store c1",
  "    default_backend app",
  "cache c1",
  "    total-max-size 200",
  "    max-object-size 10485760",
  "    max-age 3600",
  "    process-vary on",
  "backend app",
  "    server s 127.0.0.1:9000",
);

const YAML = lines(
  "defaults:",
  "  mode: http",
  "  compression: [algo gzip, offload]",
  "frontends:",
  "  web:",
  "    bind: 127.0.0.1:8080",
  "    filter: [trace name BEFORE hexdump, compression, trace name AFTER quiet]",
  "    compression: [algo deflate gzip, type text/ application/javascript, offload]",
  '    http-request: ["cache-use c1"]',
  '    http-response: ["cache-store c1"]',
  "    default_backend: app",
  "caches:",
  "  c1: { total-max-size: 200, max-object-size: 10485760, max-age: 3600, process-vary: on }",
  "backends:",
  "  app:",
  "    servers:",
  "      - { name: s, address: 127.0.0.1:9000 }",
);

describe("compression, filters and caches", () => {
  test("haproxy.cfg: the settings, the filters in order, the cache", () => {
    const c = loadOk({ name: "a.cfg", text: CFG });
    const web = c.frontends[0]!;
    expect(web.compression).toEqual({ algos: ["deflate", "gzip"], types: ["text/", "application/javascript"], offload: true });
    expect(web.filters).toEqual([
      { kind: "trace", name: "BEFORE", quiet: false, randomParsing: false, randomForwarding: false, hexdump: true },
      { kind: "compression" },
      { kind: "trace", name: "AFTER", quiet: true, randomParsing: false, randomForwarding: false, hexdump: false },
    ]);
    // The backend inherits the defaults' compression, without offload (ignored in defaults), and gets the implicit filter.
    expect(c.backends[0]!.compression).toEqual({ algos: ["gzip"], types: [], offload: false });
    expect(c.backends[0]!.filters).toEqual([{ kind: "compression" }]);
    expect(c.caches?.c1).toEqual({ name: "c1", totalMaxSize: 200 * 1024 * 1024, maxObjectSize: 10485760, maxAgeSeconds: 3600, processVary: true, maxSecondaryEntries: 10 });
  });

  test("the YAML twin gives the same model", () => {
    const a = loadOk({ name: "a.cfg", text: CFG });
    const b = loadOk({ name: "a.yaml", text: YAML });
    expect(withoutOrigins(b.frontends[0]!.compression)).toEqual(withoutOrigins(a.frontends[0]!.compression));
    expect(b.frontends[0]!.filters).toEqual(a.frontends[0]!.filters);
    expect(b.backends[0]!.compression).toEqual(a.backends[0]!.compression);
    expect(b.caches).toEqual(a.caches);
  });

  test("compression offload in defaults is ignored with HAProxy's warning", () => {
    expect(warningsOf({ name: "a.cfg", text: CFG }).some((w) => w.includes("a.cfg:4") && w.includes("'compression offload' ignored"))).toBe(true);
  });

  test("filters in a mode tcp frontend (the corpus's ingress example): traces follow TCP streams, compression has nothing to do", () => {
    const c = loadOk({ name: "a.cfg", text: lines("frontend f", "    mode tcp", "    bind 127.0.0.1:8080", "    filter trace name A", "    filter compression", "    filter trace name B", "    default_backend b", "backend b", "    mode tcp", "    server s 127.0.0.1:1") });
    expect(c.frontends[0]!.filters?.map((f) => f.kind)).toEqual(["trace", "compression", "trace"]);
  });

  test("HAProxy's errors", () => {
    const front = (...body: string[]) => lines("frontend f", "    mode http", "    bind 127.0.0.1:8080", ...body, "    default_backend b", "backend b", "    server s 127.0.0.1:1");
    const cases: [string, string][] = [
      [front("    filter trace", "    compression algo gzip"), "require an explicit filter declaration to use HTTP compression"],
      [front("    compression algo brotli"), "unknown algorithm 'brotli'"],
      [front("    compression level 9"), "unknown compression keyword 'level'"],
      [front("    filter spoe engine x config y.conf"), "filter 'spoe' is not supported"],
      [front("    filter bwlim-out lim"), "filter 'bwlim-out' is not supported yet"],
      [front("    filter trace bogus"), "filter trace: unknown option 'bogus'"],
      [front("    http-request cache-use nope"), "unable to find cache 'nope'"],
      [front("    filter cache nope"), "filter cache: unable to find cache 'nope'"],
      [front("    filter compression", "    filter cache c", "    compression algo gzip"), "'filter cache' after 'filter compression' is not supported yet"],
      [lines("cache c", "    max-age 10"), "total-max-size"],
      [lines("cache c", "    total-max-size 1", "    max-object-size 900000"), "must not be greater than half of total-max-size"],
      [lines("cache c", "    total-max-size 5000"), "between 1 and 4095"],
      [lines("cache c", "    total-max-size 1", "    process-vary maybe"), "process-vary: expected on or off"],
      [lines("cache c", "    total-max-size 1", "    ttl 3"), "unknown keyword 'ttl' in a cache section"],
      [lines("cache c", "    total-max-size 1", "cache c", "    total-max-size 2"), "duplicate name (cache 'c'"],
    ];
    for (const [text, message] of cases) {
      const errors = errorsOf({ name: "a.cfg", text });
      expect(errors.some((e) => e.includes(message))).toBe(true);
    }
  });
});
