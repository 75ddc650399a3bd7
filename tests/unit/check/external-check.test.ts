// `option external-check` on the virtual clock, over a scripted runProgram:
// the verdicts (exit 0 passes, any other status fails with its code, a
// program that cannot start is code 255 with HAProxy's alert), the
// arguments and environment HAProxy gives, and the time a program may run
// (inter; min(inter, timeout connect) with `timeout check`) before SIGTERM.
import { describe, expect, test } from "bun:test";
import { setup } from "./fake-net.ts";

const GLOBAL = "    external-check\n    insecure-fork-wanted";

function backend(lines: string, server = "server a 127.0.0.1:1001 check inter 1s rise 1 fall 1"): string {
  return `backend be\n    option external-check\n    external-check command /checks/probe\n${lines}    ${server}\n`;
}

describe("external checks: verdicts", () => {
  test("exit 0 is PROCOK (UP); exit 3 is PROCERR with code 3 (DOWN), worded as HAProxy", async () => {
    const t = setup(backend(""), GLOBAL);
    t.net.programs.set("/checks/probe", { code: 3, signal: null });
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.server("a").state.op).toBe("DOWN");
    expect(t.lines[0]).toBe(
      "Server be/a is DOWN, reason: External check error, code: 3, check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
    );
    t.net.programs.set("/checks/probe", { code: 0, signal: null });
    await t.net.clock.advance(1000);
    expect(t.server("a").state.op).toBe("UP");
    expect(t.lines.at(-1)).toBe(
      "Server be/a is UP, reason: External check passed, code: 0, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.",
    );
  });

  test("a program that cannot start: HAProxy's alert, then PROCERR code 255", async () => {
    const t = setup(backend(""), GLOBAL);
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.lines[0]).toBe("Failed to exec process for external health check: /checks/probe: not found. Aborting.");
    expect(t.lines[1]).toMatch(/^Server be\/a is DOWN, reason: External check error, code: 255,/);
  });

  test("a signal ends the program: PROCERR, code -1", async () => {
    const t = setup(backend(""), GLOBAL);
    t.net.programs.set("/checks/probe", { code: null, signal: "SIGKILL" });
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.lines[0]).toMatch(/^Server be\/a is DOWN, reason: External check error, code: -1,/);
  });
});

describe("external checks: what the program gets", () => {
  test("a backend: NOT_USED for the proxy's address and port (empty in the environment), the server's own, HAProxy's ids", async () => {
    const t = setup(`backend other\n    server x 127.0.0.1:9\n${backend("    external-check path /usr/bin:/bin\n", "server b 127.0.0.1:1002 check maxconn 7")}`, GLOBAL);
    t.net.programs.set("/checks/probe", { code: 0, signal: null });
    t.checks.start();
    await t.net.clock.advance(1);
    expect(t.net.ran).toHaveLength(1);
    const { options } = t.net.ran[0]!;
    expect(options.command).toBe("/checks/probe");
    expect(options.args).toEqual(["NOT_USED", "NOT_USED", "127.0.0.1", "1002"]);
    expect(options.env).toEqual({
      PATH: "/usr/bin:/bin",
      HAPROXY_PROXY_NAME: "be",
      HAPROXY_PROXY_ID: "2",
      HAPROXY_PROXY_ADDR: "",
      HAPROXY_PROXY_PORT: "",
      HAPROXY_SERVER_NAME: "b",
      HAPROXY_SERVER_ID: "1",
      HAPROXY_SERVER_ADDR: "127.0.0.1",
      HAPROXY_SERVER_PORT: "1002",
      HAPROXY_SERVER_MAXCONN: "7",
      HAPROXY_SERVER_CURCONN: "0",
      HAPROXY_SERVER_SSL: "0",
      HAPROXY_SERVER_PROTO: "h1",
    });
  });

  test("a listen: its first bind's address and port; PATH empty by default (HAProxy's)", async () => {
    const t = setup(
      "listen li\n    bind 127.0.0.1:8443\n    mode tcp\n    option external-check\n    external-check command probe\n    server c 127.0.0.1:1003 check\n",
      GLOBAL,
    );
    t.net.programs.set("probe", { code: 0, signal: null });
    t.checks.start();
    await t.net.clock.advance(1);
    const { options } = t.net.ran[0]!;
    expect(options.args).toEqual(["127.0.0.1", "8443", "127.0.0.1", "1003"]);
    expect(options.env.HAPROXY_PROXY_ADDR).toBe("127.0.0.1");
    expect(options.env.HAPROXY_PROXY_PORT).toBe("8443");
    expect(options.env.HAPROXY_SERVER_PROTO).toBe("tcp");
    expect(options.env.PATH).toBe("");
  });
});

describe("external checks: the time a program may run", () => {
  test("without timeout check: inter; then SIGTERM and PROCTOUT", async () => {
    const t = setup(backend(""), GLOBAL);
    t.net.programs.set("/checks/probe", "hang");
    t.checks.start();
    // The first check starts at 1 ms (fake-net.ts).
    await t.net.clock.advance(1);
    await t.net.clock.advance(999);
    expect(t.net.ran[0]!.terminated).toBe(false);
    await t.net.clock.advance(1);
    expect(t.net.ran[0]!.terminated).toBe(true);
    expect(t.lines[0]).toBe(
      "Server be/a is DOWN, reason: External check timeout, check duration: 1000ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
    );
  });

  test("with timeout check: min(inter, timeout connect), as HAProxy's extcheck.c", async () => {
    const t = setup(backend("    timeout check 10s\n    timeout connect 300ms\n"), GLOBAL);
    t.net.programs.set("/checks/probe", "hang");
    t.checks.start();
    await t.net.clock.advance(300);
    expect(t.net.ran[0]!.terminated).toBe(false);
    await t.net.clock.advance(1);
    expect(t.net.ran[0]!.terminated).toBe(true);
    expect(t.lines[0]).toMatch(/reason: External check timeout, check duration: 300ms/);
  });

  test("stopping the checks ends a running program", async () => {
    const t = setup(backend(""), GLOBAL);
    t.net.programs.set("/checks/probe", "hang");
    t.checks.start();
    await t.net.clock.advance(1);
    t.checks.stop();
    expect(t.net.ran[0]!.terminated).toBe(true);
    expect(t.lines).toEqual([]);
  });
});
