// `on-marked-down shutdown-sessions` and `on-marked-up shutdown-backup-sessions`
// beside HAProxy 2.6 on the same haproxy.cfg: when a check takes a server
// DOWN its streams are cut (a TCP stream logs D-, an HTTP request waiting
// for its answer gets a 502 logged DH--); when an active server comes UP the
// backup servers' streams are cut (U-).
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { freePort, sleep } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const servers: net.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function listen(server: net.Server, port = 0): Promise<number> {
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

/** A TCP connection through the proxy: resolves when it closes, with whether the echo answered first. */
function tcpThrough(port: number): { closed: Promise<string> } {
  const s = net.connect(port, "127.0.0.1", () => s.write("ping"));
  let echoed = false;
  s.on("data", () => (echoed = true));
  s.on("error", () => {});
  s.setTimeout(8000, () => s.destroy());
  return { closed: new Promise((resolve) => s.on("close", () => resolve(echoed ? "echoed, then closed" : "closed"))) };
}

describe("on-marked-down / on-marked-up against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: a server marked DOWN takes its streams along; an active one UP cuts the backups'`, async () => {
      const echo = await listen(net.createServer((s) => {
        s.on("error", () => {});
        s.pipe(s);
      }));
      // Reads requests and never answers.
      const silent = await listen(net.createServer((s) => s.on("error", () => {})));
      // The check port of the servers that go DOWN (closed below), and of the active one that comes UP (opened below).
      const checkDown = net.createServer((s) => s.end());
      const downPort = await listen(checkDown);
      const [tcpFe, httpFe, upFe] = [await freePort(), await freePort(), await freePort()];
      // A port nothing listens on yet (none of the proxy's own).
      let upPort = await freePort();
      while ([tcpFe, httpFe, upFe, downPort, echo, silent].includes(upPort)) upPort = await freePort();
      const running = await proxy.start(`global
    log stderr format raw local0
defaults
    log global
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend ft
    mode tcp
    option tcplog
    bind 127.0.0.1:${tcpFe}
    default_backend bt
backend bt
    mode tcp
    server s 127.0.0.1:${echo} check port ${downPort} inter 200ms fall 1 rise 1 on-marked-down shutdown-sessions
frontend fh
    mode http
    option httplog
    bind 127.0.0.1:${httpFe}
    default_backend bh
backend bh
    mode http
    server s 127.0.0.1:${silent} check port ${downPort} inter 200ms fall 1 rise 1 on-marked-down shutdown-sessions
frontend fu
    mode tcp
    option tcplog
    bind 127.0.0.1:${upFe}
    default_backend bu
backend bu
    mode tcp
    server a 127.0.0.1:${echo} check port ${upPort} inter 200ms fall 1 rise 1 on-marked-up shutdown-backup-sessions
    server b 127.0.0.1:${echo} backup
`, [tcpFe, httpFe, upFe]);
      try {
        await sleep(600);
        const tcp = tcpThrough(tcpFe);
        const backup = tcpThrough(upFe);
        const httpStatus = new Promise<number>((resolve) => {
          http.get({ host: "127.0.0.1", port: httpFe, path: "/", agent: false }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          }).on("error", () => resolve(0));
        });
        await sleep(400);
        // The checks of bt/s and bh/s fail from now on; bu/a's pass.
        checkDown.close();
        await listen(net.createServer((s) => s.end()), upPort);
        const seen: Record<string, string | number> = {
          tcp: await tcp.closed,
          http: await httpStatus,
          backup: await backup.closed,
        };
        const end = Date.now() + 3000;
        // Traffic lines of the streams cut (the harness's readiness probes end normally, "--", and are left out).
        const lines = () => running.errLines().filter((l) => /^127\.0\.0\.1:\d+ \[/.test(l) && / [DU][-H]/.test(l));
        while (lines().length < 3 && Date.now() < end) await sleep(50);
        for (const l of lines()) {
          const m = / (f[thu]) (b[thu])\/(\w) .* (\S\S(?:--)?) \d+\/\d+\/\d+\/\d+\/\d+/.exec(l);
          if (m !== null) seen[`log ${m[1]}`] = `${m[2]}/${m[3]} ${m[4]}${/ 502 /.test(l) ? " 502" : ""}`;
        }
        expect(seen).toEqual({
          tcp: "echoed, then closed",
          http: 502,
          backup: "echoed, then closed",
          "log ft": "bt/s D-",
          "log fh": "bh/s DH-- 502",
          "log fu": "bu/b U-",
        });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
