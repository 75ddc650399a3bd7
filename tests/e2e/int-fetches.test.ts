// HAProxy's `_val` fetches beside HAProxy 2.6 on the same haproxy.cfg:
// hdr_val, cook_val and urlp_val read text as its strl2ic does, a 32-bit
// integer that wraps (3000000000 is -1294967296), digits taken until a byte
// above '9' (12abc is 12) and a byte below '0' counted as a negative digit
// ("+8" is -42, "%2B8" -108); res.hdr_val reads the response's field the same way.
import { describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const VALUES = ["3000000000", "2147483648", "4294967296", "-5", "12abc", "99999999999999", "-2147483649", "+8", "-x", "7"];

/** The body and the x-val field of the answer to GET /?p=VALUE with x and a cookie carrying it. */
function ask(port: number, value: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: `/?p=${encodeURIComponent(value)}`, headers: { x: value, cookie: `c=${value}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve(`${body.trim()} | ${String(res.headers["x-val"])}`));
    });
    req.on("error", (e) => resolve(`error ${e.message}`));
  });
}

describe("_val fetches against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: hdr_val, cook_val, urlp_val, res.hdr_val as 32-bit integers`, async () => {
      // The server answers what the proxy read from the request, and echoes x into its response for res.hdr_val.
      const server = http.createServer((req, res) => res.writeHead(200, { "content-type": "text/plain", x: String(req.headers.x) }).end(`${req.headers["x-in"]}\n`));
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const backend = (server.address() as AddressInfo).port;
      const port = await freePort();
      const running = await proxy.start(`
${httpDefaults()}frontend fe
    bind 127.0.0.1:${port}
    http-request set-var(txn.v) 'req.hdr_val(x),add(1)'
    http-request set-header x-in "%[hdr_val(x)] %[req.cook_val(c)] %[urlp_val(p)] %[var(txn.v)]"
    default_backend be
backend be
    http-response set-header x-val "%[res.hdr_val(x)] %[shdr_val(x)]"
    server s1 127.0.0.1:${backend}
`, [port]);
      try {
        const seen: Record<string, string> = {};
        for (const v of VALUES) seen[v] = await ask(port, v);
        expect(seen["3000000000"]).toBe("-1294967296 -1294967296 -1294967296 -1294967295 | -1294967296 -1294967296");
        expect(seen["+8"]).toBe("-42 -42 -108 -41 | -42 -42");
        expect(seen["12abc"]).toBe("12 12 12 13 | 12 12");
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
        server.close();
      }
    }, 30000);
  }
});

describe("_val fetches in ACLs against HAProxy 2.6: every value is tested", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: cook_val, urlp_val and hdr_val match any of the values`, async () => {
      const port = await freePort();
      const running = await proxy.start(`
${httpDefaults()}frontend fe
    bind 127.0.0.1:${port}
    acl h1 hdr_val(x) eq 1
    acl c1 cook_val(a) eq 1
    acl u9 urlp_val(a) eq 9
    http-request return status 201 if h1
    http-request return status 202 if c1
    http-request return status 204 if u9
    http-request return status 200
`, [port]);
      const status = (path: string, headers: Record<string, string | string[]>) =>
        new Promise<number>((resolve) => {
          http.get({ host: "127.0.0.1", port, path, headers }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          }).on("error", () => resolve(0));
        });
      try {
        const seen = {
          cookies: await status("/", { cookie: "a=1; a=9" }),
          params: await status("/?a=1&a=9", {}),
          fields: await status("/", { x: ["5", "1"] }),
          none: await status("/?a=8", { cookie: "a=2" }),
        };
        expect(seen).toEqual({ cookies: 202, params: 204, fields: 201, none: 200 });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
