// http-after-response on the proxy's own pages, beside HAProxy 2.6: a 503
// when no server is there (the built-in page, and an errorfile) carries the
// headers an http-after-response rule sets (HSTS, CORS: what users put
// there), over HTTP/1.1 and HTTP/2. curl is the client.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const errorfile = join(dir, "503.http");
writeFileSync(errorfile, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nsorry");

const config = (h1: number, h2c: number, dead: number) => `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${h1}
    bind 127.0.0.1:${h2c} proto h2
    http-after-response set-header X-After %[status]
    http-after-response set-header Strict-Transport-Security max-age=60
    use_backend with_file if { path_beg /file }
    default_backend plain
backend plain
    retries 0
    server s1 127.0.0.1:${dead}
backend with_file
    retries 0
    errorfile 503 ${errorfile}
    server s1 127.0.0.1:${dead}
`;

function curl(args: string[]): string {
  return spawnSync("curl", ["-s", "-i", ...args], { encoding: "utf8", timeout: 10_000 }).stdout.toLowerCase();
}

describe("http-after-response on the proxy's own pages", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: a 503 (built in, or an errorfile) carries its headers, over HTTP/1.1 and HTTP/2`, async () => {
      const [h1, h2c, dead] = [await freePort(), await freePort(), await freePort()];
      const running = await proxy.start(config(h1, h2c, dead), [h1, h2c]);
      try {
        for (const args of [[`http://127.0.0.1:${h1}/`], ["--http2-prior-knowledge", `http://127.0.0.1:${h2c}/`]]) {
          const text = curl(args);
          expect(text).toMatch(/^http\/(1\.1|2) 503/);
          expect(text).toContain("x-after: 503");
          expect(text).toContain("strict-transport-security: max-age=60");
          expect(text).toContain("no server is available");
        }
        for (const args of [[`http://127.0.0.1:${h1}/file`], ["--http2-prior-knowledge", `http://127.0.0.1:${h2c}/file`]]) {
          const text = curl(args);
          expect(text).toContain("x-after: 503");
          expect(text).toEndWith("sorry");
        }
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
