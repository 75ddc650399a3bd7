// `server … redir PREFIX` beside HAProxy 2.6 on the same haproxy.cfg: a GET
// or HEAD balanced to that server is answered 302 to PREFIX and its path and
// query (cache-control: no-cache, no body, the connection closed), logged as
// the server's with LC--; another method goes to the server as usual.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { freePort, waitFor } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const server = http.createServer((req, res) => res.end(`served ${req.method} ${req.url}`));
afterAll(() => server.close());

function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(request));
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => resolve(got));
    s.on("error", () => resolve(got));
  });
}

/** The status line, the fields (lower-cased, sorted: sluice writes Content-Length after the others), the body. */
function shape(response: string): string[] {
  const [head, body] = [response.slice(0, response.indexOf("\r\n\r\n")), response.slice(response.indexOf("\r\n\r\n") + 4)];
  const [status, ...fields] = head.split("\r\n");
  return [status!, ...fields.map((f) => f.toLowerCase()).filter((f) => !f.startsWith("date:")).sort(), `body=${body}`];
}

describe("server redir against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: GET and HEAD redirected, POST served`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = await freePort();
      const running = await proxy.start(`
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    log stderr format raw local0
    log-format "%HM %HU %b/%s %ST %tsc %Tc"
    option dontlognull
frontend f
    bind 127.0.0.1:${port}
    default_backend b
backend b
    server s1 127.0.0.1:${(server.address() as net.AddressInfo).port} redir http://img.example.com
`, [port]);
      try {
        const get = await raw(port, "GET /a/b?c=1 HTTP/1.1\r\nhost: x\r\n\r\n");
        const head = await raw(port, "HEAD /h HTTP/1.1\r\nhost: x\r\n\r\n");
        const absolute = await raw(port, "GET http://x/abs?q HTTP/1.1\r\nhost: x\r\n\r\n");
        const post = await raw(port, "POST /p HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi");
        await waitFor(() => running.errLines().filter((l) => /^(GET|HEAD|POST) /.test(l)).length >= 4, 5000, "the log lines");
        const seen = {
          get: shape(get),
          head: shape(head),
          absolute: shape(absolute),
          post: shape(post).filter((l) => l.startsWith("HTTP/") || l.startsWith("body=")),
          // %Tc: -1 for a redirect (no connect), a time (varying) otherwise.
          log: running.errLines().filter((l) => /^(GET|HEAD|POST) /.test(l)).map((l) => l.replace(/ \d+$/, " T")),
        };
        expect(seen.get).toEqual(["HTTP/1.1 302 Found", "cache-control: no-cache", "connection: close", "content-length: 0", "location: http://img.example.com/a/b?c=1", "body="]);
        expect(seen.post).toEqual(["HTTP/1.1 200 OK", "body=served POST /p"]);
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
