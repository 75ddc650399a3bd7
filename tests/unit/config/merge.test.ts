import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFiles } from "../../../src/config/load.ts";
import { errorsOf, lines, loadOk } from "./helpers.ts";

describe("several files", () => {
  test("merge in order: global settings add up, proxies accumulate", () => {
    const c = loadOk(
      {
        name: "base.cfg",
        text: lines(
          "global",
          "    maxconn 100",
          "    hard-stop-after 1s",
          "backend app",
          "    server a 127.0.0.1:1",
        ),
      },
      {
        name: "more.yaml",
        text: lines(
          "global: { maxconn: 200 }",
          "frontends:",
          "  web: { bind: ':80', default_backend: app }",
        ),
      },
    );
    expect(c.global).toEqual({
      maxconn: 200,
      hardStopAfter: 1000,
      bufsize: 16384,
      maxRewrite: 1024,
      maxHeaderFields: 101,
      h2BackendMaxConcurrentStreams: 100,
      h2FrontendMaxConcurrentStreams: 100,
      h2HeaderTableSize: 4096,
      h2InitialWindowSize: 65535,
      h2FrontendGlitchesThreshold: 1000,
      h2FrontendMaxControlFramesPerSec: 100,
      maxChecksInFlight: 64,
      masterWorker: false,
      workers: "auto",
      strictLimits: true,
      logTargets: [{ kind: "stderr", format: "raw" }],
    });
    expect(c.frontends.map((f) => [f.name, f.maxconn, f.origin.file])).toEqual([[
      "web",
      200,
      "more.yaml",
    ]]);
    expect(c.backends.map((b) => [b.name, b.origin.file])).toEqual([["app", "base.cfg"]]);
  });

  test("a proxy defined in two files is a duplicate, reported where it is defined again", () => {
    expect(errorsOf(
      { name: "a.cfg", text: lines("backend app", "    server a 127.0.0.1:1") },
      { name: "b.yaml", text: lines("backends:", "  app: { servers: { a: '127.0.0.1:1' } }") },
    )).toEqual([
      "b.yaml:2:3: backend 'app': duplicate name (backend 'app' is already defined at a.cfg:1)",
    ]);
  });

  test("errors of every file are reported, in file order then line order", () => {
    expect(errorsOf(
      { name: "z.cfg", text: lines("global", "    maxconn x", "    nbproc 4") },
      { name: "a.yaml", text: lines("global:", "  maxconn: 0") },
    )).toEqual([
      "z.cfg:2: global: invalid maxconn 'x' (expected an integer, at least 1)",
      "z.cfg:3: global: 'nbproc' is not supported: HAProxy removed it (2.5); sluice's processes are set by 'workers' or 'nbthread'",
      "a.yaml:2:12: global: maxconn 0 is out of range (at least 1)",
    ]);
  });

  describe("loadConfigFiles", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-config-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("reads files from disk", () => {
      const file = join(dir, "x.cfg");
      writeFileSync(file, lines("backend b", "    server s 127.0.0.1:1"));
      const r = loadConfigFiles([file]);
      expect(r.ok && r.config.backends[0]!.origin).toEqual({ file, line: 1 });
      expect(r.ok && r.warnings).toEqual([]);
    });

    test("an unreadable file is an error, the others are still checked", () => {
      const good = join(dir, "y.cfg");
      writeFileSync(good, lines("global", "    bogus"));
      const missing = join(dir, "missing.cfg");
      const r = loadConfigFiles([missing, good]);
      expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([
        `${missing}: cannot read file (no such file)`,
        `${good}:2: global: keyword 'bogus' is not supported yet`,
      ]);
    });
  });
});
