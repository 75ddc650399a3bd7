// The request's HTTP version as rules see it, beside HAProxy 2.6: req.ver is
// "2.0" for an HTTP/2 client (cleartext and over TLS), "1.1" / "1.0" for
// HTTP/1.x, so the predefined ACLs HTTP_2.0, HTTP_1.1 and HTTP_1.0 tell them
// apart (an HTTP/2 request used to read "1.1": HTTP_1.1 matched it). curl is
// the client; the answer says which rule took the request.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { proxiesUnderTest } from "./reference-proxy.ts";
import { threeBinds, threeBindsPki } from "./three-binds.ts";

const pki = threeBindsPki("v");

const LINES = [
  'http-request return status 200 content-type text/plain lf-string "HTTP_1.1 ver=%[req.ver]" if HTTP_1.1',
  'http-request return status 200 content-type text/plain lf-string "HTTP_1.0 ver=%[req.ver]" if HTTP_1.0',
  'http-request return status 200 content-type text/plain lf-string "HTTP_2.0 ver=%[req.ver]" if HTTP_2.0',
  'http-request return status 200 content-type text/plain string "none"',
];

function curl(args: string[]): string {
  const r = spawnSync("curl", ["-s", ...args], { encoding: "utf8", timeout: 10_000 });
  return r.stdout;
}

describe("req.ver and the HTTP_x.y ACLs", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: 2.0 for HTTP/2 (h2c and TLS), 1.1 and 1.0 for HTTP/1.x`, async () => {
      const binds = await threeBinds("v", pki);
      const { h2c, h1 } = binds;
      const running = await proxy.start(binds.config(LINES), binds.ports);
      try {
        const https = binds.https("/");
        expect(curl(["--http2-prior-knowledge", `http://127.0.0.1:${h2c}/`])).toBe("HTTP_2.0 ver=2.0");
        expect(curl(["--http2", ...https])).toBe("HTTP_2.0 ver=2.0");
        expect(curl(["--http1.1", ...https])).toBe("HTTP_1.1 ver=1.1");
        expect(curl([`http://127.0.0.1:${h1}/`])).toBe("HTTP_1.1 ver=1.1");
        expect(curl(["--http1.0", `http://127.0.0.1:${h1}/`])).toBe("HTTP_1.0 ver=1.0");
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
