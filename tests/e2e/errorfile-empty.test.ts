// An empty errorfile (`errorfile 403 /dev/null`) beside HAProxy 2.6 on the
// same haproxy.cfg: nothing is sent, the connection closes, and the log line
// still says the status (403 for a deny, 503 when no server answers), 0 bytes
// and who ended it (PR--, SC--).
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { freePort, sleep } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

/** What came back to one request before the connection closed. */
function exchange(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`));
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => resolve(got === "" ? "closed, nothing sent" : got.split("\r\n")[0]!));
    s.on("error", () => {});
    s.setTimeout(8000, () => s.destroy());
  });
}

describe("an empty errorfile against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: nothing is sent, the connection closes, the log says the status`, async () => {
      const port = await freePort();
      const refused = await freePort();
      const running = await proxy.start(`global
    log stderr format raw local0
defaults
    mode http
    log global
    option httplog
    timeout connect 200ms
    timeout client 5s
    timeout server 5s
    retries 0
    errorfile 403 /dev/null
    errorfile 503 /dev/null
frontend fe
    bind 127.0.0.1:${port}
    http-request deny if { path /deny }
    http-request deny deny_status 404 errorfile /dev/null if { path /deny-404 }
    http-request return status 200 content-type text/plain string ok if { path /ok }
    default_backend be
backend be
    server s 127.0.0.1:${refused}
`, [port]);
      try {
        const seen: Record<string, string> = {};
        for (const path of ["/deny", "/deny-404", "/ok", "/down"]) seen[path] = await exchange(port, path);
        const end = Date.now() + 3000;
        const lines = () => running.errLines().filter((l) => / "GET \//.test(l));
        while (lines().length < 4 && Date.now() < end) await sleep(50);
        for (const l of lines()) {
          const m = / (\d{3}) (\d+) - - (\S{4}) .*"GET (\S+)/.exec(l);
          // (HAProxy's %B of a `return` is not the bytes it sent: 73 for 66; that line is left out.)
          if (m !== null && m[4] !== "/ok") seen[`log ${m[4]}`] = `${m[1]} ${m[2]} ${m[3]}`;
        }
        expect(seen).toMatchObject({ "/deny": "closed, nothing sent", "/ok": "HTTP/1.1 200 OK", "/down": "closed, nothing sent", "log /deny": "403 0 PR--", "log /down": "503 0 SC--" });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
