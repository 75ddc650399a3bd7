// `server-template PREFIX NUM|FIRST-LAST ADDRESS [options]`: a server per
// number, each as its own server line; a bad range names itself.
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });

describe("server-template", () => {
  test("NUM makes PREFIX1..PREFIXNUM, FIRST-LAST those numbers, each with the options", () => {
    const c = loadOk(cfg("backend b", "    server-template srv 3 10.0.0.1:80 weight 5", "    server-template web 7-8 10.0.0.2:81 backup"));
    const servers = c.backends[0]!.servers.map((s) => `${s.name} ${s.host}:${s.port} w${s.weight}${s.backup ? " backup" : ""}`);
    expect(servers).toEqual(["srv1 10.0.0.1:80 w5", "srv2 10.0.0.1:80 w5", "srv3 10.0.0.1:80 w5", "web7 10.0.0.2:81 w1 backup", "web8 10.0.0.2:81 w1 backup"]);
  });

  test.each([["0"], ["3-1"], ["x"], ["1-20000"]])("range %p is refused", (range) => {
    expect(errorsOf(cfg("backend b", `    server-template srv ${range} 10.0.0.1:80`))).toEqual([
      `sluice.cfg:2: backend 'b': server-template: invalid range '${range}' (expected <num> or <first>-<last>, at most 10000 servers, from 1)`,
    ]);
  });

  test("a name it makes twice is a duplicate, as a server line's", () => {
    expect(errorsOf(cfg("backend b", "    server srv1 10.0.0.1:80", "    server-template srv 2 10.0.0.1:80"))[0]).toContain("server 'srv1': duplicate name");
  });
});
