// The HTTP ACL (req.proto_http) in tcp-request content rules beside HAProxy
// 2.6 on the same haproxy.cfg: a mode tcp frontend sends HTTP/1 clients to
// one backend and anything else to another, once the first bytes say which
// (an HTTP request head, or a line that is none); a mode http frontend that
// accepts `if HTTP` serves its requests.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { freePort } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const servers: net.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function answering(text: string): Promise<number> {
  const server = net.createServer((s) => {
    s.on("error", () => {});
    s.once("data", () => s.end(text));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(bytes));
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => resolve(got));
    s.on("error", () => resolve(got));
    s.setTimeout(5000, () => s.destroy());
  });
}

describe("req.proto_http in tcp-request content against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: HTTP clients and others told apart by their first bytes`, async () => {
      const web = await answering("HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nweb");
      const other = await answering("other\n");
      const [tcp, http] = [await freePort(), await freePort()];
      const running = await proxy.start(`defaults
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend ft
    mode tcp
    bind 127.0.0.1:${tcp}
    tcp-request inspect-delay 2s
    tcp-request content accept if HTTP
    tcp-request content accept if { req.len gt 5 }
    use_backend web if HTTP
    default_backend other
frontend fh
    mode http
    bind 127.0.0.1:${http}
    tcp-request inspect-delay 2s
    tcp-request content accept if HTTP
    http-request return status 200 content-type text/plain string http-ok
backend web
    mode tcp
    server s 127.0.0.1:${web}
backend other
    mode tcp
    server s 127.0.0.1:${other}
`, [tcp, http]);
      try {
        const first = await exchange(tcp, "GET / HTTP/1.1\r\nhost: x\r\n\r\n");
        const seen = {
          http: first.split("\r\n\r\n")[1],
          other: await exchange(tcp, "hello there\n"),
          httpFrontend: (await exchange(http, "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")).split("\r\n\r\n")[1],
        };
        expect(seen).toEqual({ http: "web", other: "other\n", httpFrontend: "http-ok" });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
