// A backend's show stat row while streams wait in its queue, beside HAProxy
// 2.6 on the same haproxy.cfg: six slow requests at once on a server with
// maxconn 3. HAProxy counts a backend's session when the stream comes to the
// backend, queued or not (its beconn): scur 6 with qcur 3, smax 6, stot 6;
// the server's row counts the three it serves.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort, sleep, tempDir } from "./harness.ts";
import { proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";


/** Some columns of one row of show stat, `name=value` joined. */
async function columns(api: string, svname: string, names: string[]): Promise<string> {
  const [head, ...rows] = (await ask(api, "show stat")).split("\n");
  const cols = head!.replace(/^# /, "").split(",");
  const row = rows.map((r) => r.split(",")).find((f) => f[0] === "be" && f[1] === svname)!;
  return names.map((n) => `${n}=${row[cols.indexOf(n)]}`).join(" ");
}

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

for (const proxy of proxiesUnderTest()) {
  describe(`backend row with queued streams (${proxy.name})`, () => {
    let running: RunningProxy;
    let api: string;
    let web: number;

    test("starts", async () => {
      const slow = http.createServer((_req, res) => setTimeout(() => res.end("x"), 1500));
      await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
      cleanups.push(() => {
        slow.closeAllConnections();
        slow.close();
      });
      web = await freePort();
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
    bind 127.0.0.1:${web}
    default_backend be
backend be
    server s1 127.0.0.1:${(slow.address() as AddressInfo).port} maxconn 3
`, [web]);
      cleanups.push(() => running.stop());
    }, 30000);

    test("queued streams are the backend's sessions: scur, smax, stot count them", async () => {
      const answered = Promise.all(Array.from({ length: 6 }, () =>
        new Promise<number>((resolve) => {
          http.get({ host: "127.0.0.1", port: web, path: "/", agent: false }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          }).on("error", () => resolve(0));
        })));
      await sleep(500);
      expect(await columns(api, "BACKEND", ["scur", "qcur", "smax", "stot", "qmax"])).toBe("scur=6 qcur=3 smax=6 stot=6 qmax=3");
      expect(await columns(api, "s1", ["scur", "qcur", "smax", "stot"])).toBe("scur=3 qcur=0 smax=3 stot=3");
      expect(await answered).toEqual([200, 200, 200, 200, 200, 200]);
      expect(await columns(api, "BACKEND", ["scur", "qcur", "smax", "stot"])).toBe("scur=0 qcur=0 smax=6 stot=6");
      expect(await columns(api, "s1", ["scur", "smax", "stot"])).toBe("scur=0 smax=3 stot=6");
    }, 30000);
  });
}
