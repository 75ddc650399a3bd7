import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, warningsOf } from "./helpers.ts";

// The runtime API's keywords (issue 16): `stats socket`, `stats timeout`,
// `stats maxconn` in global; the same lines in YAML; what sluice does not
// support is an error naming file, line and keyword.

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const BACKEND = ["backend be", "    server s 127.0.0.1:9001"];

describe("stats socket", () => {
  test("expose-fd listeners is accepted with a warning (sluice reloads with SO_REUSEPORT, never with -x); YAML takes the same words", () => {
    const text = cfg("global", "    stats socket /run/sluice/admin.sock mode 660 level admin expose-fd listeners", ...BACKEND);
    const c = loadOk(text);
    expect(c.global.statsSockets).toEqual([{ kind: "unix", path: "/run/sluice/admin.sock", mode: 0o660, level: "admin" }]);
    expect(warningsOf(text)).toEqual([
      "sluice.cfg:2: global: stats socket: 'expose-fd listeners' has no effect: HAProxy passes its listening sockets to a new process started with -x; sluice's reload opens them again with SO_REUSEPORT and never needs them",
    ]);
    const y = loadOk(yaml("global:", "  stats: ['socket /run/sluice/admin.sock level admin expose-fd listeners']", "backends:", "  be: { servers: [{ name: s, address: '127.0.0.1:9001' }] }"));
    expect(y.global.statsSockets).toEqual([{ kind: "unix", path: "/run/sluice/admin.sock", level: "admin" }]);
    expect(errorsOf(cfg("global", "    stats socket /a.sock expose-fd all", ...BACKEND))).toEqual([
      "sluice.cfg:2: global: stats socket: 'expose-fd' expects 'listeners' (got 'all')",
    ]);
  });

  test("unix sockets with level and mode, an ipv4@ one; operator is HAProxy's default level", () => {
    const c = loadOk(cfg(
      "global",
      "    stats socket /run/sluice/admin.sock level admin mode 600",
      "    stats socket unix@/run/sluice/ro.sock level user",
      "    stats socket ipv4@127.0.0.1:9999",
      "    stats timeout 30s",
      "    stats maxconn 4",
      ...BACKEND,
    ));
    expect(c.global.statsSockets).toEqual([
      { kind: "unix", path: "/run/sluice/admin.sock", level: "admin", mode: 0o600 },
      { kind: "unix", path: "/run/sluice/ro.sock", level: "user" },
      { kind: "tcp", host: "127.0.0.1", port: 9999, level: "operator" },
    ]);
    expect(c.global.statsTimeout).toBe(30000);
    expect(c.global.statsMaxconn).toBe(4);
  });

  test("YAML: the same lines, strings or lists of words", () => {
    const c = loadOk(yaml(
      "global:",
      "  stats:",
      "    - socket /run/sluice/admin.sock level admin mode 600",
      "    - [socket, 'ipv4@127.0.0.1:9999']",
      "    - timeout 30s",
      "backends:",
      "  be: { servers: [{ name: s, address: '127.0.0.1:9001' }] }",
    ));
    expect(c.global.statsSockets).toEqual([
      { kind: "unix", path: "/run/sluice/admin.sock", level: "admin", mode: 0o600 },
      { kind: "tcp", host: "127.0.0.1", port: 9999, level: "operator" },
    ]);
    expect(c.global.statsTimeout).toBe(30000);
    expect(loadOk(yaml("global:", "  stats: socket /a.sock", "backends:", "  be: { servers: [{ name: s, address: '127.0.0.1:9001' }] }")).global.statsSockets)
      .toEqual([{ kind: "unix", path: "/a.sock", level: "operator" }]);
  });

  test("none: no sockets, and the built-in timeout and maxconn apply (BUILTIN.stats)", () => {
    const c = loadOk(cfg(...BACKEND));
    expect(c.global.statsSockets).toBeUndefined();
    expect(c.global.statsTimeout).toBeUndefined();
  });

  test("a unix socket's owner: user/uid, group/gid (names read from /etc/passwd and /etc/group); YAML takes the same words", () => {
    const c = loadOk(cfg("global", "    stats socket /run/a.sock mode 660 user root group root", "    stats socket /run/b.sock uid 65534 gid 65534", ...BACKEND));
    expect(c.global.statsSockets).toEqual([
      { kind: "unix", path: "/run/a.sock", level: "operator", mode: 0o660, uid: 0, gid: 0 },
      { kind: "unix", path: "/run/b.sock", level: "operator", uid: 65534, gid: 65534 },
    ]);
    const y = loadOk(yaml("global:", "  stats: ['socket /run/b.sock uid 65534 gid 65534']", "backends:", "  be: { servers: [{ name: s, address: '127.0.0.1:9001' }] }"));
    expect(y.global.statsSockets).toEqual(c.global.statsSockets!.slice(1));
    expect(errorsOf(cfg(
      "global",
      "    stats socket /a.sock user no-such-user-here",
      "    stats socket /a.sock group no-such-group-here",
      "    stats socket /a.sock uid x",
      "    stats socket ipv4@127.0.0.1:9999 user root",
      "    stats socket /a.sock user root uid 7",
      ...BACKEND,
    ))).toEqual([
      "sluice.cfg:2: global: stats socket: cannot find user id for 'no-such-user-here' (not in /etc/passwd)",
      "sluice.cfg:3: global: stats socket: cannot find group id for 'no-such-group-here' (not in /etc/group)",
      "sluice.cfg:4: global: stats socket: invalid uid 'x' (expected a number)",
      "sluice.cfg:5: global: stats socket: 'user' applies to a unix socket only",
      "sluice.cfg:6: global: stats socket: 'uid 7' disagrees with the uid given before (0)",
    ]);
  });

  test("what sluice does not support names file, line and keyword", () => {
    expect(errorsOf(cfg(
      "global",
      "    stats socket /a.sock process 1",
      "    stats socket /b.sock level root",
      "    stats socket ipv4@127.0.0.1:9999 mode 600",
      "    stats socket ipv6@[::1]:9999",
      "    stats bind-process all",
      "    stats foo",
      "    stats timeout 0",
      "    stats socket",
      ...BACKEND,
    ))).toEqual([
      "sluice.cfg:2: global: stats socket: option 'process' is not supported yet (supported: level, mode, user, uid, group, gid, expose-fd listeners)",
      "sluice.cfg:3: global: stats socket: 'level' expects user, operator or admin (got 'root')",
      "sluice.cfg:4: global: stats socket: 'mode' applies to a unix socket only",
      "sluice.cfg:5: global: stats socket: address family 'ipv6@' is not supported yet (supported: unix@, ipv4@)",
      "sluice.cfg:6: global: stats bind-process: not supported yet",
      "sluice.cfg:7: global: unknown 'stats foo' in global (expected stats socket, stats timeout or stats maxconn)",
      "sluice.cfg:8: global: stats timeout: the time must be at least 1ms",
      "sluice.cfg:9: global: stats socket: missing address (usage: stats socket <path>|ipv4@<address>:<port> [level user|operator|admin] [mode <octal>])",
    ]);
  });

  test("in a frontend, stats is not a keyword of this section", () => {
    expect(errorsOf(cfg("frontend fe", "    bind :80", "    stats socket /a.sock", "    default_backend be", ...BACKEND))[0]).toContain("sluice.cfg:3:");
  });
});
