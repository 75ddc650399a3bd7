// `server … track [BACKEND/]SERVER`: what it reads, and HAProxy 2.6's
// messages for what it refuses (each checked with `haproxy -c`).
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const HEAD = ["defaults", "    mode http"];

describe("track", () => {
  test("its own backend's server, or another backend's; YAML the same word", () => {
    const c = loadOk(cfg(...HEAD, "backend b", "    server s1 127.0.0.1:1 check", "    server s2 127.0.0.1:2 track s1", "backend c", "    server s3 127.0.0.1:3 track b/s2"));
    expect(c.backends.flatMap((b) => b.servers.map((s) => s.track))).toEqual([undefined, { server: "s1" }, { backend: "b", server: "s2" }]);
    const y = loadOk({ name: "sluice.yaml", text: lines("backends:", "  b:", "    mode: http", "    servers:", "      - { name: s1, address: 127.0.0.1:1, check: true }", "      - { name: s2, address: 127.0.0.1:2, track: s1 }") });
    expect(y.backends[0]!.servers[1]!.track).toEqual({ server: "s1" });
  });

  test("HAProxy's refusals, at the tracking server's line", () => {
    const errors = (...backend: string[]) => errorsOf(cfg(...HEAD, ...backend));
    expect(errors("backend b", "    server s1 127.0.0.1:1 check", "    server s2 127.0.0.1:2 track s1 check")).toEqual([
      "sluice.cfg:5: backend 'b': 'server b/s2' : unable to enable checks and tracking at the same time!",
    ]);
    expect(errors("backend b", "    server s1 127.0.0.1:1", "    server s2 127.0.0.1:2 track s1")).toEqual([
      "sluice.cfg:5: backend 'b': 'server b/s2' : unable to use b/s1 for tracking as it does not have any check nor agent enabled.",
    ]);
    expect(errors("backend b", "    server s2 127.0.0.1:2 track zz")).toEqual(["sluice.cfg:4: backend 'b': 'server b/s2' : unable to find required server 'zz' for tracking."]);
    expect(errors("backend b", "    server s2 127.0.0.1:2 track c/zz")).toEqual(["sluice.cfg:4: backend 'b': 'server b/s2' : unable to find required proxy 'c' for tracking."]);
    // A loop is told once, at the server that closes it.
    expect(errors("backend b", "    server s1 127.0.0.1:1 track s2", "    server s2 127.0.0.1:2 track s1")).toEqual([
      "sluice.cfg:5: backend 'b': 'server b/s2' : unable to track b/s1 as it belongs to a tracking chain looping back to b/s2.",
    ]);
    expect(errors("backend b", "    server s2 127.0.0.1:2 track s2")).toEqual([
      "sluice.cfg:4: backend 'b': 'server b/s2' : unable to track b/s2 as it belongs to a tracking chain looping back to b/s2.",
    ]);
  });
});
