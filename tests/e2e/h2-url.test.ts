// An HTTP/2 request's URI as rules read it, beside HAProxy 2.6: with an
// :authority it is absolute (`url` is scheme://authority/path with the
// request's own :scheme; url_ip / url_port read its authority), so `url_beg
// /` does not match it while `path_beg /` does; without an :authority (a
// host field only) it is the path as sent, as an HTTP/1.1 request's. The
// log line shows the same URI. curl and a raw HTTP/2 client.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { H2RawClient } from "../support/h2-raw-client.ts";
import { waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";
import { threeBinds, threeBindsPki } from "./three-binds.ts";

const pki = threeBindsPki("u");

const LINES = [
  'log-format "URI %{+Q}r"',
  "acl slash url_beg /",
  'http-request return status 200 content-type text/plain lf-string "url=%[url] path=%[path] port=%[url_port] slash" if slash',
  'http-request return status 200 content-type text/plain lf-string "url=%[url] path=%[path] port=%[url_port] absolute" if HTTP_URL_ABS',
];

function curl(args: string[]): string {
  return spawnSync("curl", ["-s", ...args], { encoding: "utf8", timeout: 10_000 }).stdout;
}

async function rawGet(port: number, fields: [string, string][]): Promise<string> {
  const client = await H2RawClient.connect(port);
  try {
    await client.handshake();
    client.sendHeaders(1, fields);
    return new TextDecoder().decode((await client.expectResponse(1)).body);
  } finally {
    client.close();
  }
}

describe("the URI of an HTTP/2 request", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: absolute with an :authority (url, url_port, the log), the path without`, async () => {
      const binds = await threeBinds("u", pki);
      const { h2c, tls, h1 } = binds;
      const running = await proxy.start(binds.config(LINES, true), binds.ports);
      try {
        expect(curl(["--http2-prior-knowledge", `http://127.0.0.1:${h2c}/a/b?x=1`]))
          .toBe(`url=http://127.0.0.1:${h2c}/a/b?x=1 path=/a/b port=${h2c} absolute`);
        expect(curl(["--http2", ...binds.https("/s")]))
          .toBe(`url=https://u.test:${tls}/s path=/s port= absolute`);
        expect(curl([`http://127.0.0.1:${h1}/o?y=3`])).toBe("url=/o?y=3 path=/o port= slash");
        // The request's own :scheme, whatever the transport; a host field without :authority: the path alone.
        expect(await rawGet(h2c, [[":method", "GET"], [":scheme", "https"], [":path", "/sch"], [":authority", "s.test"]]))
          .toBe("url=https://s.test/sch path=/sch port= absolute");
        expect(await rawGet(h2c, [[":method", "GET"], [":scheme", "http"], [":path", "/noauth"], ["host", "h.test"]]))
          .toBe("url=/noauth path=/noauth port= slash");
        const lines = () => running.errLines().filter((l) => l.startsWith("URI ") && !l.includes("<BADREQ>"));
        await waitFor(() => lines().length >= 5, 5000, "five log lines");
        expect(lines()).toEqual([
          `URI "GET http://127.0.0.1:${h2c}/a/b?x=1 HTTP/2.0"`,
          `URI "GET https://u.test:${tls}/s HTTP/2.0"`,
          `URI "GET /o?y=3 HTTP/1.1"`,
          `URI "GET https://s.test/sch HTTP/2.0"`,
          `URI "GET /noauth HTTP/2.0"`,
        ]);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
