// `method` ACLs beside HAProxy 2.6 on the same haproxy.cfg: a pattern that is
// one of HTTP's eight methods as written matches that method; any other word
// is a method of its own, compared as text (with -i, case folded) only with
// requests whose method is not one of the eight. So `method -i get` does not
// match GET, and `method post` does not match POST, in both proxies.
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { freePort } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

/** The body of the answer to a request with this exact method (fetch would upper-case the eight). */
function ask(port: number, method: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(`${method} / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`));
    let got = "";
    s.on("data", (d) => (got += d.toString()));
    s.on("close", () => resolve(got.split("\r\n\r\n")[1] ?? "closed"));
    s.on("error", () => resolve("error"));
  });
}

describe("method ACLs against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: known methods by name as written, others as text`, async () => {
      const port = await freePort();
      const running = await proxy.start(`
${httpDefaults()}frontend fe
    bind 127.0.0.1:${port}
    acl g method -i get
    acl p method post
    acl w method -i wibble
    acl known method GET PUT
    http-request return status 200 content-type text/plain string g if g
    http-request return status 200 content-type text/plain string p if p
    http-request return status 200 content-type text/plain string w if w
    http-request return status 200 content-type text/plain string known if known
    http-request return status 200 content-type text/plain string none
`, [port]);
      try {
        const seen: Record<string, string> = {};
        for (const m of ["GET", "get", "Get", "POST", "post", "PUT", "WIBBLE", "wibble", "PATCH"]) seen[m] = await ask(port, m);
        expect(seen).toEqual({ GET: "known", get: "g", Get: "g", POST: "none", post: "p", PUT: "known", WIBBLE: "w", wibble: "w", PATCH: "none" });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
