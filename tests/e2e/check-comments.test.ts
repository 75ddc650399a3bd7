// tcp-check and http-check comments beside HAProxy 2.6 on the same
// haproxy.cfg: `tcp-check comment MSG` (a rule of its own, counted in the
// steps' numbers, naming the next one), `comment MSG` on a rule's line, and
// `http-check comment MSG`; each failure's reason line says the comment as
// HAProxy's does (quoted after a connect's or a timeout's words, not after a
// content check's), and HAProxy's words for regex and binary patterns.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { freePort, sleep } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const servers: net.Server[] = [];
const held: net.Socket[] = [];
const ports = { answers: 0, silent: 0, refused: 0 };

async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  // Reads a request, answers a 500 and closes; the other never answers.
  ports.answers = await tcpServer((s) => {
    s.on("error", () => {});
    s.once("data", () => s.end("HTTP/1.1 500 Bad\r\nContent-Length: 2\r\n\r\nok"));
  });
  ports.silent = await tcpServer((s) => {
    held.push(s);
    s.on("error", () => {});
  });
  ports.refused = await freePort();
});

afterAll(() => {
  for (const s of held) s.destroy();
  for (const s of servers) s.close();
});

describe("check comments against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: each failure's reason says its rule's comment, as HAProxy's`, async () => {
      const port = await freePort();
      const { answers: a, silent, refused } = ports;
      const running = await proxy.start(`global
    log stderr format raw local0
defaults
    mode tcp
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout check 400ms
backend b1
    option tcp-check
    tcp-check send "GET / HTTP/1.0\\r\\n\\r\\n" comment "sending"
    tcp-check expect string "200 OK" comment "want ok"
    server s1 127.0.0.1:${a} check inter 300 fall 1
backend b2
    option tcp-check
    tcp-check send "GET / HTTP/1.0\\r\\n\\r\\n"
    tcp-check comment "bin"
    tcp-check expect binary 3230304f4b
    server s1 127.0.0.1:${a} check inter 300 fall 1
backend b3
    option tcp-check
    tcp-check comment "first connect"
    tcp-check connect port ${refused}
    server s1 127.0.0.1:${a} check inter 300 fall 1
backend b4
    option tcp-check
    tcp-check send "GET / HTTP/1.0\\r\\n\\r\\n"
    tcp-check expect string "200 OK" comment "slow"
    server s1 127.0.0.1:${silent} check inter 300 fall 1
backend b5
    option httpchk
    http-check send meth GET uri /health comment "sendc"
    http-check expect string "zzz" comment "body"
    server s1 127.0.0.1:${a} check inter 300 fall 1
backend b6
    option httpchk
    http-check comment "c1"
    http-check expect status 200
    server s1 127.0.0.1:${a} check inter 300 fall 1
backend b7
    option tcp-check
    tcp-check send "GET / HTTP/1.0\\r\\n\\r\\n"
    tcp-check expect rstring "^HTTP/1.. 200"
    server s1 127.0.0.1:${a} check inter 300 fall 1
backend b8
    option tcp-check
    tcp-check send "GET / HTTP/1.0\\r\\n\\r\\n"
    tcp-check comment "carry"
    tcp-check expect string "HTTP"
    tcp-check expect string "zzz"
    server s1 127.0.0.1:${a} check inter 300 fall 1
backend b9
    option tcp-check
    tcp-check send "GET / HTTP/1.0\\r\\n\\r\\n"
    tcp-check comment "outer"
    tcp-check expect string "HTTP" comment "own"
    tcp-check expect string "zzz"
    server s1 127.0.0.1:${a} check inter 300 fall 1
backend b10
    option httpchk
    http-check comment "hc"
    http-check expect status 500
    http-check expect string "zzz"
    server s1 127.0.0.1:${a} check inter 300 fall 1
backend b11
    option tcp-check
    tcp-check comment "lost"
    tcp-check send "GET / HTTP/1.0\\r\\n\\r\\n"
    tcp-check expect string "zzz"
    server s1 127.0.0.1:${a} check inter 300 fall 1
frontend fe
    bind 127.0.0.1:${port}
    default_backend b1
`, [port]);
      try {
        const reasons = () => [...new Set(running.errLines()
          .map((l) => /^Server (b\d+)\/s1 is DOWN, (reason: .*), check duration/.exec(l))
          .filter((m) => m !== null)
          .map((m) => `${m![1]} ${m![2]}`))].sort();
        const end = Date.now() + 8000;
        while (reasons().length < 11 && Date.now() < end) await sleep(100);
        const seen = reasons();
        expect(seen).toEqual([
          `b1 reason: Layer7 invalid response, info: "TCPCHK did not match content '200 OK' at step 2 comment: want ok"`,
          `b2 reason: Layer7 invalid response, info: "TCPCHK did not match content (binary) at step 3 comment: bin"`,
          `b3 reason: Layer4 connection problem, info: "Connection refused at step 2 of tcp-check (connect port ${refused}) comment: 'first connect'"`,
          `b4 reason: Layer7 timeout, info: " at step 2 of tcp-check (expect string '200 OK') comment: 'slow'"`,
          `b5 reason: Layer7 invalid response, info: "HTTP content check did not match comment: body"`,
          `b6 reason: Layer7 wrong status, code: 500, info: "Bad comment: c1"`,
          `b7 reason: Layer7 invalid response, info: "TCPCHK did not match content (regex) at step 2"`,
          // A comment line names every expect after it up to the next send, an expect's own comment aside.
          `b8 reason: Layer7 invalid response, info: "TCPCHK did not match content 'zzz' at step 4 comment: carry"`,
          `b9 reason: Layer7 invalid response, info: "TCPCHK did not match content 'zzz' at step 4 comment: outer"`,
          `b10 reason: Layer7 invalid response, info: "HTTP content check did not match comment: hc"`,
          `b11 reason: Layer7 invalid response, info: "TCPCHK did not match content 'zzz' at step 3"`,
        ].sort());
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
