// The log line names the request as it came, beside HAProxy 2.6: rules that
// rewrite the path, the query or the whole URI change what the server gets,
// never the logged %r / %HM %HP %HQ %HU (HAProxy logs its copy of the request
// line taken before any rule).
import { httpDefaults } from "./http-defaults.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, sleep, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

describe("the logged request line is the one received, against HAProxy 2.6", () => {
  let app: Server;
  const seen: string[] = [];
  const answers = new Map<string, unknown>();

  beforeAll(async () => {
    app = createServer((req, res) => {
      seen.push(req.url ?? "");
      res.end("ok\n");
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  });
  afterAll(() => app?.close());

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: set-path, set-query and set-uri leave the log's request line as received`, async () => {
      const port = await freePort();
      const running = await proxy.start(`
${httpDefaults()}frontend fe
    bind 127.0.0.1:${port}
    log stderr format raw local0
    log-format "line=%{+Q}r m=%HM p=%HP q=%HQ u=%HU"
    http-request set-path /rewritten if { path /orig }
    http-request set-query len=7 if { path /rewritten }
    http-request set-uri /other?x=1 if { path /whole }
    default_backend app

backend app
    server s1 127.0.0.1:${(app.address() as AddressInfo).port}
`, [port]);
      try {
        seen.length = 0;
        for (const path of ["/orig?len=5", "/whole?y=2"]) await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.text());
        await sleep(200);
        // The probe connection that waited for the port is logged too (<BADREQ>): not a request of this test.
        // HAProxy in the foreground (-db) writes each stderr log line twice: each line is counted once.
        const lines = [...new Set(running.errLines().filter((l) => l.startsWith("line=") && !l.includes("<BADREQ>")))];
        const answer = { lines, seen: [...seen] };
        expect(answer).toEqual({
          lines: ['line="GET /orig?len=5 HTTP/1.1" m=GET p=/orig q=?len=5 u=/orig?len=5', 'line="GET /whole?y=2 HTTP/1.1" m=GET p=/whole q=?y=2 u=/whole?y=2'],
          seen: ["/rewritten?len=7", "/other?x=1"],
        });
        expectSameAsHaproxy(answers, proxy.name, answer);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});

describe("a deny answered with an errorloc or an errorfile of another status logs the rule's status, against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: errorloc 403 sends a 302 and logs 403; errorfile 429 holding a 404 logs 429`, async () => {
      const port = await freePort();
      const file = join(tempDir(), "e404.http");
      writeFileSync(file, "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\ngone\n");
      const running = await proxy.start(`
${httpDefaults()}frontend fe
    bind 127.0.0.1:${port}
    log stderr format raw local0
    log-format "st=%ST path=%HP"
    errorloc 403 http://err.example/403
    errorfile 429 ${file}
    http-request deny if { path /a }
    http-request deny deny_status 429 if { path /b }
    http-request return status 200 content-type text/plain string ok
`, [port]);
      try {
        const a = await fetch(`http://127.0.0.1:${port}/a`, { redirect: "manual" });
        const b = await fetch(`http://127.0.0.1:${port}/b`);
        await Promise.all([a.text(), b.text()]);
        await sleep(200);
        const lines = [...new Set(running.errLines().filter((l) => l.startsWith("st=") && !l.includes("<BADREQ>")))];
        const answer = { sent: [a.status, a.headers.get("location"), b.status], lines };
        expect(answer).toEqual({ sent: [302, "http://err.example/403", 404], lines: ["st=403 path=/a", "st=429 path=/b"] });
        expectSameAsHaproxy(answers, proxy.name, answer);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
