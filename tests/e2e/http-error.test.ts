// `http-error` beside HAProxy 2.6: the proxy's answer for an error status
// written with `string`/`file`/`errorfile`, a content-type and `hdr`
// fields, or `default-errorfiles` undoing an errorfile; the same bytes from
// both proxies for a 503 with no server and a rule's deny.
import { httpDefaults } from "./http-defaults.ts";
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

/** An answer as status line, its fields lower-cased and sorted (Connection aside: the request asked to close), and its body. */
function normalized(answer: string): string {
  const end = answer.indexOf("\r\n\r\n");
  const [status, ...fields] = answer.slice(0, end).split("\r\n");
  const kept = fields.map((f) => f.toLowerCase()).filter((f) => !f.startsWith("connection:")).sort();
  return [status, ...kept, "", answer.slice(end + 4)].join("|");
}

/** One request, the whole answer as received (the connection closed after it). */
function raw(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let out = "";
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
    s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
  });
}

describe("http-error against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the pages http-error writes (status, fields, body)`, async () => {
      const dir = tempDir();
      writeFileSync(join(dir, "body.txt"), "gone for now\n");
      writeFileSync(join(dir, "e404.http"), "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 6\r\n\r\nnope!\n");
      const port = await freePort();
      const running = await proxy.start(`
${httpDefaults({ retries: 0 })}frontend fe
    bind 127.0.0.1:${port}
    http-error status 503 content-type application/json string "{\\"error\\":\\"down\\"}" hdr x-err bad
    http-error status 403 content-type text/plain file ${join(dir, "body.txt")}
    errorfile 429 ${join(dir, "e404.http")}
    http-error status 429 default-errorfiles
    http-error status 404 errorfile ${join(dir, "e404.http")}
    http-request deny if { path /deny }
    http-request deny deny_status 429 if { path /slow }
    http-request deny deny_status 404 if { path /missing }
    default_backend none

backend none
    server s1 127.0.0.1:1
`, [port]);
      try {
        const answer: Record<string, string> = {};
        for (const path of ["/down", "/deny", "/slow", "/missing"]) answer[path] = normalized(await raw(port, path));
        expect(answer["/down"]).toBe('HTTP/1.1 503 Service Unavailable|content-length: 16|content-type: application/json|x-err: bad||{"error":"down"}');
        expect(answer["/deny"]).toBe("HTTP/1.1 403 Forbidden|content-length: 13|content-type: text/plain||gone for now\n");
        expect(answer["/slow"]).toStartWith("HTTP/1.1 429 Too Many Requests|");
        expect(answer["/missing"]).toBe("HTTP/1.1 404 Not Found|content-length: 6|content-type: text/plain||nope!\n");
        expectSameAsHaproxy(answers, proxy.name, answer);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
