// http-request set-map / del-map beside HAProxy 2.6: a rule adds, changes
// and removes entries of a map file the configuration loaded, and the map
// converters see each change on the next request.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

describe("set-map and del-map against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: entries added, changed and removed by rules, read by map()`, async () => {
      const map = join(tempDir(), "routes.map");
      writeFileSync(map, "a one\n");
      const port = await freePort();
      const running = await proxy.start(`
${httpDefaults()}frontend fe
    bind 127.0.0.1:${port}
    http-request set-map(${map}) %[req.hdr(x-key)] %[req.hdr(x-val)] if { path /set }
    http-request del-map(${map}) %[req.hdr(x-key)] if { path /del }
    http-request return status 200 content-type text/plain lf-string "v=%[req.hdr(x-key),map(${map},none)]"
`, [port]);
      try {
        const ask = async (path: string, key: string, val = "") =>
          (await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-key": key, ...(val === "" ? {} : { "x-val": val }) } })).text();
        const seen = [
          await ask("/get", "a"),
          await ask("/get", "b"),
          await ask("/set", "b", "two"),
          await ask("/get", "b"),
          await ask("/set", "a", "uno"),
          await ask("/get", "a"),
          await ask("/del", "a"),
          await ask("/get", "a"),
        ];
        expect(seen).toEqual(["v=one", "v=none", "v=two", "v=two", "v=uno", "v=uno", "v=none", "v=none"]);
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
