// The bytes of an HTTP check's request beside HAProxy 2.6 on the same
// haproxy.cfg, captured by a server on each backend's port: field names in
// lower case, the configured fields first, then x-haproxy-server-state
// (`http-check send-state`), the body's content-length (`http-check send
// body`; 0 for a POST or PUT without one), and last the connection field
// (HTTP/1.1: close unless keep-alive was asked; HTTP/1.0: keep-alive only
// when asked; other tokens stay where they were written); HAProxy's older
// form `option httpchk GET /x HTTP/1.1\r\nHost:\ www` is read as version,
// fields and body, and an `http-check send` with fields or a body replaces
// those of the option.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { freePort, sleep } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const BACKENDS: Record<string, string> = {
  olderPlusSend: "    option httpchk GET /health HTTP/1.1\\r\\nHost:\\ a\\r\\nX-Old:\\ 1\n    http-check send hdr X-New 2",
  olderBodyPlusSend: "    option httpchk POST /p HTTP/1.1\\r\\nX-Old:\\ 1\\r\\n\\r\\nping\n    http-check send body pong",
  userCl: "    option httpchk\n    http-check send meth POST uri /h ver HTTP/1.1 hdr Content-Length 5 hdr X-A 1",
  userClBody: "    option httpchk\n    http-check send meth POST uri /h ver HTTP/1.1 hdr Content-Length 9 body hello",
  connUpgrade: "    option httpchk\n    http-check send meth GET uri /h ver HTTP/1.1 hdr Connection upgrade hdr Upgrade x",
  connKaUp: "    option httpchk\n    http-check send meth GET uri /h ver HTTP/1.1 hdr Connection keep-alive,upgrade",
  conn10Close: "    option httpchk\n    http-check send meth GET uri /h ver HTTP/1.0 hdr Connection close",
  onlyBody: "    option httpchk POST /h HTTP/1.1\\r\\n\\r\\nxyz",
  olderVerOverride: "    option httpchk GET /h HTTP/1.1\\r\\nHost:\\ a\n    http-check send ver HTTP/1.0",
  tabs: "    option httpchk GET /h HTTP/1.1\\r\\nHost:\\ a\\tb\\r\\nX-Y:\\x20\\x20z\\x20",
  bodyLf: "    option httpchk POST /p HTTP/1.1\\r\\n\\r\\na\\nb",
  putNoBody: "    option httpchk PUT /h HTTP/1.1",
  delNoBody: "    option httpchk DELETE /h HTTP/1.1",
  headNoBody: "    option httpchk HEAD /h HTTP/1.1",
  postNoBody10: "    option httpchk POST /h HTTP/1.0",
  postNoBody: "    option httpchk POST /h HTTP/1.1",
  hostDup: "    option httpchk GET /h HTTP/1.1\\r\\nHost:\\ a\n    http-check send-state",
  plain: "    option httpchk",
  older: "    option httpchk GET /health HTTP/1.1\\r\\nHost:\\ api.example",
  olderBody: "    option httpchk POST /p HTTP/1.0\\r\\nContent-Type:\\ text/plain\\r\\n\\r\\nping",
  state: "    option httpchk GET /health\n    http-check send-state\n    http-check send hdr Host api.example",
  keepAlive11: "    option httpchk\n    http-check send meth GET uri /h ver HTTP/1.1 hdr Host api.example hdr Connection keep-alive",
  close11: "    option httpchk\n    http-check send meth GET uri /h ver HTTP/1.1 hdr Connection close hdr X-C 3",
  keepAlive10: "    option httpchk\n    http-check send meth GET uri /h ver HTTP/1.0 hdr Connection keep-alive hdr X-B 2",
  body: "    option httpchk\n    http-check send-state\n    http-check send meth POST uri /h ver HTTP/1.1 hdr X-A 1 body \"hello world\"",
};

const servers: net.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

/** A server that keeps the first request it is sent (once a blank line and the body it announces came) and answers 200. */
async function capture(): Promise<{ port: number; first: () => string | undefined }> {
  let first: string | undefined;
  const server = net.createServer((s) => {
    let got = "";
    s.on("error", () => {});
    s.on("data", (d) => {
      got += d.toString("latin1");
      const end = got.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(got.slice(0, end))?.[1] ?? 0);
      if (got.length < end + 4 + length) return;
      first ??= got;
      s.end("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return { port: (server.address() as net.AddressInfo).port, first: () => first };
}

describe("HTTP check requests against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: each check request's bytes are HAProxy's`, async () => {
      const port = await freePort();
      const captured = new Map<string, Awaited<ReturnType<typeof capture>>>();
      for (const name of Object.keys(BACKENDS)) captured.set(name, await capture());
      const sections = Object.entries(BACKENDS)
        .map(([name, lines]) => `backend ${name}\n${lines}\n    server s 127.0.0.1:${captured.get(name)!.port} check inter 200ms\n`)
        .join("");
      const running = await proxy.start(`global
    node lb1
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout check 1s
${sections}frontend fe
    bind 127.0.0.1:${port}
    default_backend plain
`, [port]);
      try {
        const end = Date.now() + 8000;
        while ([...captured.values()].some((c) => c.first() === undefined) && Date.now() < end) await sleep(50);
        const seen: Record<string, string> = {};
        for (const [name, c] of captured) seen[name] = (c.first() ?? "nothing").replace(/port=\d+/, "port=P");
        expect(seen.older).toBe("GET /health HTTP/1.1\r\nhost: api.example\r\nconnection: close\r\n\r\n");
        expect(seen.body).toBe(
          "POST /h HTTP/1.1\r\nx-a: 1\r\nx-haproxy-server-state: UP 1/3; address=127.0.0.1; port=P; name=body/s; node=lb1; weight=1/1; scur=0/0; qcur=0\r\ncontent-length: 11\r\nconnection: close\r\n\r\nhello world",
        );
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
