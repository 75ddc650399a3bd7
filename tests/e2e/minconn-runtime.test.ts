// A server's minconn ramp and `set maxconn server`, beside HAProxy 2.6 on the
// same haproxy.cfg. Six slow requests at once on a server with `minconn 2
// maxconn 8` and `fullconn 10`: under roundrobin HAProxy serves 2 and queues
// 4, the newcomers waiting behind the backend's queue although the ramp
// (max(minconn, maxconn × load / fullconn)) grew; under leastconn it serves
// 4. `set maxconn server be/s1 2` brings the top down to the floor (a fixed
// limit from then on), and `set maxconn server be/s1 5` then moves both:
// 5 served at once. Each proxy's counts (show stat's scur, qcur, slim) must
// be HAProxy's as measured with 2.6.12.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort, sleep, tempDir } from "./harness.ts";
import { proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";


/** scur, qcur and slim of a server row, and the backend row's qcur. */
async function counts(api: string, backend: string, server: string): Promise<string> {
  const [head, ...rows] = (await ask(api, "show stat")).split("\n");
  const cols = head!.replace(/^# /, "").split(",");
  const row = (sv: string) => rows.map((r) => r.split(",")).find((f) => f[0] === backend && f[1] === sv)!;
  const s = row(server);
  const b = row("BACKEND");
  const at = (name: string) => cols.indexOf(name);
  return `served ${s[at("scur")]}, queued on it ${s[at("qcur")]}, slim ${s[at("slim")]}, queued on the backend ${b[at("qcur")]}`;
}

/** Six requests at once on their own connections; resolves when all were answered. */
function six(port: number): Promise<number[]> {
  return Promise.all(Array.from({ length: 6 }, () =>
    new Promise<number>((resolve) => {
      http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      }).on("error", () => resolve(0));
    })));
}

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

for (const proxy of proxiesUnderTest()) {
  describe(`minconn and set maxconn server (${proxy.name})`, () => {
    let running: RunningProxy;
    let api: string;
    let rr: number;
    let lc: number;

    test("starts", async () => {
      const slow = http.createServer((_req, res) => setTimeout(() => res.end("x"), 2000));
      await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
      cleanups.push(() => {
        slow.closeAllConnections();
        slow.close();
      });
      const port = (slow.address() as AddressInfo).port;
      rr = await freePort();
      lc = await freePort();
      api = join(tempDir(), "api.sock");
      running = await proxy.start(`global
    stats socket ${api} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 20s
    timeout queue 20s
frontend fe
    bind 127.0.0.1:${rr}
    default_backend be
frontend fe2
    bind 127.0.0.1:${lc}
    default_backend least
backend be
    fullconn 10
    server s1 127.0.0.1:${port} minconn 2 maxconn 8
backend least
    balance leastconn
    fullconn 10
    server l1 127.0.0.1:${port} minconn 2 maxconn 8
`, [rr, lc]);
      cleanups.push(() => running.stop());
    }, 30000);

    test("roundrobin: newcomers wait behind the queue; set maxconn down to minconn, then up: a fixed limit that moves", async () => {
      const answered = six(rr);
      await sleep(500);
      expect(await counts(api, "be", "s1")).toBe("served 2, queued on it 0, slim 8, queued on the backend 4");
      expect(await ask(api, "set maxconn server be/s1 2")).toBe("\n");
      await sleep(200);
      expect(await counts(api, "be", "s1")).toBe("served 2, queued on it 0, slim 2, queued on the backend 4");
      expect(await ask(api, "set maxconn server be/s1 5")).toBe("\n");
      await sleep(200);
      expect(await counts(api, "be", "s1")).toBe("served 5, queued on it 0, slim 5, queued on the backend 1");
      expect(await answered).toEqual([200, 200, 200, 200, 200, 200]);
    }, 30000);

    test("leastconn: the ramp serves newcomers as the load grows", async () => {
      const answered = six(lc);
      await sleep(500);
      expect(await counts(api, "least", "l1")).toBe("served 4, queued on it 0, slim 8, queued on the backend 2");
      expect(await answered).toEqual([200, 200, 200, 200, 200, 200]);
    }, 30000);
  });
}
