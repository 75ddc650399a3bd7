// The process keywords of the global section (issue 19): daemon, pidfile,
// user/uid, group/gid, chroot, ulimit-n, strict-limits, in both syntaxes;
// names resolved from /etc/passwd and /etc/group as the configuration is read.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { idInFile } from "../../../src/config/schema-process.ts";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const BACKEND = ["backend app", "    server a 127.0.0.1:1"];
const cfg = (...global: string[]) => ({ name: "p.cfg", text: lines("global", ...global.map((g) => `    ${g}`), ...BACKEND) });
const yaml = (...global: string[]) => ({
  name: "p.yaml",
  text: lines("global:", ...global.map((g) => `  ${g}`), "backends:", "  app:", "    servers: { a: { address: '127.0.0.1:1' } }"),
});
const processOf = (source: { name: string; text: string }) => {
  const { daemon, pidfile, uid, gid, chroot, ulimitN, strictLimits } = loadOk(source).global;
  return { daemon, pidfile, uid, gid, chroot, ulimitN, strictLimits };
};

// The ids of this machine's accounts, as the files say.
const nobody = idInFile(readFileSync("/etc/passwd", "utf8"), "nobody")!;
const nogroup = idInFile(readFileSync("/etc/group", "utf8"), "nogroup")!;

describe("process keywords", () => {
  test("none given: nothing to do, strict-limits on (HAProxy 2.6's default)", () => {
    expect(processOf(cfg("maxconn 10"))).toEqual({
      daemon: undefined, pidfile: undefined, uid: undefined, gid: undefined, chroot: undefined, ulimitN: undefined, strictLimits: true,
    });
  });

  test("haproxy.cfg and its YAML twin give the same settings; names become ids", () => {
    const expected = { daemon: true, pidfile: "/run/sluice.pid", uid: nobody, gid: nogroup, chroot: "/var/empty", ulimitN: 20000, strictLimits: false };
    expect(processOf(cfg("daemon", "pidfile /run/sluice.pid", "user nobody", "group nogroup", "chroot /var/empty", "ulimit-n 20000", "no strict-limits")))
      .toEqual(expected);
    expect(processOf(yaml("daemon: true", "pidfile: /run/sluice.pid", "user: nobody", "group: nogroup", "chroot: /var/empty", "ulimit-n: 20000", "strict-limits: false")))
      .toEqual(expected);
    expect(processOf(cfg("uid 99", "gid 98", "strict-limits"))).toMatchObject({ uid: 99, gid: 98, strictLimits: true });
    expect(processOf(yaml("uid: 99", "gid: 98"))).toMatchObject({ uid: 99, gid: 98 });
  });

  test("user and uid naming the same id are fine; different ids are an error", () => {
    expect(processOf(cfg("user nobody", `uid ${nobody}`)).uid).toBe(nobody);
    expect(errorsOf(cfg("user nobody", "uid 7"))).toEqual([`p.cfg:1: global: 'user' (uid ${nobody}) and 'uid 7' disagree (keep one)`]);
    expect(errorsOf(cfg("group nogroup", "gid 7"))).toEqual([`p.cfg:1: global: 'group' (gid ${nogroup}) and 'gid 7' disagree (keep one)`]);
  });

  test("errors name the line: an unknown user or group, a flag with a value, a bad number", () => {
    expect(errorsOf(cfg("user no-such-user-here"))).toEqual(["p.cfg:2: global: cannot find user id for 'no-such-user-here' (not in /etc/passwd)"]);
    expect(errorsOf(cfg("group no-such-group-here"))).toEqual(["p.cfg:2: global: cannot find group id for 'no-such-group-here' (not in /etc/group)"]);
    expect(errorsOf(cfg("daemon yes"))).toEqual(["p.cfg:2: global: too many arguments for 'daemon': 'yes' (usage: daemon)"]);
    expect(errorsOf(cfg("ulimit-n 0"))).toEqual(["p.cfg:2: global: ulimit-n 0 is out of range (1-2147483647)"]);
    expect(errorsOf(cfg("uid -1"))).toEqual(["p.cfg:2: global: uid -1 is out of range (0-4294967294)"]);
    expect(errorsOf(cfg("chroot"))[0]).toContain("p.cfg:2: global: ");
    expect(errorsOf(yaml("daemon: 1"))[0]).toContain("invalid daemon 1 (expected true or false; haproxy.cfg: the bare keyword)");
  });

  test("idInFile reads name:x:id lines", () => {
    const text = "root:x:0:0:root:/root:/bin/bash\nhaproxy:x:108:113::/var/lib/haproxy:/usr/sbin/nologin\nbroken\n";
    expect(idInFile(text, "haproxy")).toBe(108);
    expect(idInFile(text, "root")).toBe(0);
    expect(idInFile(text, "hap")).toBeUndefined();
  });
});
