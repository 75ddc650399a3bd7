import { describe, expect, test } from "bun:test";
import { lines, loadOk, withoutOrigins } from "./helpers.ts";

describe("listen", () => {
  test("becomes a frontend and a backend of the same name", () => {
    const c = loadOk({
      name: "l.cfg",
      text: lines(
        "defaults",
        "    retries 4",
        "listen db 127.0.0.1:5432",
        "    bind :6432",
        "    mode tcp",
        "    maxconn 50",
        "    timeout connect 2s",
        "    server pg1 10.0.0.1:5432 weight 2",
      ),
    });
    const timeouts = { connect: 2000, client: 50000, server: 50000 };
    const stderr = { kind: "stderr", format: "raw" };
    expect(withoutOrigins(c)).toStrictEqual({
      global: {
        maxconn: 4096,
        hardStopAfter: 30000,
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
        logTargets: [stderr],
      },
      frontends: [{
        name: "db",
        mode: "tcp",
        binds: [{ host: "127.0.0.1", port: 5432 }, { host: "0.0.0.0", port: 6432 }],
        defaultBackend: "db",
        maxconn: 50,
        timeouts,
        logTargets: [stderr],
        httpMode: "keep-alive",
        errorFiles: {},
        maxSessionSrvConns: 5,
      }],
      backends: [{
        name: "db",
        mode: "tcp",
        balance: { algorithm: "roundrobin" },
        servers: [{
          name: "pg1",
          host: "10.0.0.1",
          port: 5432,
          weight: 2,
          backup: false,
          disabled: false,
          poolMaxConn: -1,
          poolPurgeDelay: 5000,
          poolLowConn: 0,
          sendProxy: false,
          proto: "h1",
          maxReuse: -1,
        }],
        retries: 4,
        timeouts,
        httpMode: "keep-alive",
        errorFiles: {},
        redispatch: false,
        redispatchInterval: -1,
        retryOn: ["conn-failure"],
        httpReuse: "safe",
        healthCheck: { kind: "connect" },
      }],
    });
    expect(c.frontends[0]!.origin).toEqual({ file: "l.cfg", line: 3 });
    expect(c.backends[0]!.origin).toEqual({ file: "l.cfg", line: 3 });
    expect(c.frontends[0]!.binds.map((b) => b.origin.line)).toEqual([3, 4]);
  });

  test("a listen may send its traffic to another backend", () => {
    const c = loadOk({
      name: "l.yaml",
      text: lines(
        "listen:",
        "  front: { bind: ':80', default_backend: other }",
        "backends:",
        "  other: { servers: { s: '127.0.0.1:1' } }",
      ),
    });
    expect(c.frontends[0]!.defaultBackend).toBe("other");
    expect(c.backends.map((b) => b.name)).toEqual(["front", "other"]);
  });
});
