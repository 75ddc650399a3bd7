// show stat's average and longest times (qtime, ctime, rtime, ttime and their
// _max) beside HAProxy 2.6 on the same haproxy.cfg, each proxy held to the same
// bounds: a server that answers after 150 ms, two requests it answers and two
// the backend's rules deny. The server's rtime is its 150 ms; the backend's is
// halved, as HAProxy averages over every request of the backend while only
// those that reached a server add a time; the maxima are the longest seen.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";

const DELAY = 150;
const server = http.createServer((_req, res) => setTimeout(() => res.end("ok"), DELAY));
afterAll(() => server.close());

/** One row of show stat as numbers by column name. */
async function row(api: string, pxname: string, svname: string): Promise<Record<string, number>> {
  const [head, ...rows] = (await ask(api, "show stat")).split("\n");
  const cols = head!.replace(/^# /, "").split(",");
  const fields = rows.map((r) => r.split(",")).find((f) => f[0] === pxname && f[1] === svname)!;
  return Object.fromEntries(cols.map((c, i) => [c, Number(fields[i])]));
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    }).on("error", () => resolve(0));
  });
}

describe("show stat's times against HAProxy 2.6", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: qtime, ctime, rtime, ttime and their maxima`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = await freePort();
      const api = join(tempDir(), "api.sock");
      const running = await proxy.start(`global
    stats socket ${api} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    default_backend b
backend b
    http-request deny if { path /deny }
    server s 127.0.0.1:${(server.address() as AddressInfo).port}
`, [port]);
      try {
        const statuses = [];
        for (const path of ["/", "/deny", "/", "/deny"]) statuses.push(await get(port, path));
        expect(statuses).toEqual([200, 403, 200, 403]);
        const s = await row(api, "b", "s");
        const b = await row(api, "b", "BACKEND");
        const near = (v: number, want: number) => v >= want && v <= want + 40;
        expect({ qtime: s.qtime, ctime: s.ctime <= 5, rtime: near(s.rtime!, DELAY), ttime: near(s.ttime!, DELAY), rtime_max: near(s.rtime_max!, DELAY), ttime_max: near(s.ttime_max!, DELAY) })
          .toEqual({ qtime: 0, ctime: true, rtime: true, ttime: true, rtime_max: true, ttime_max: true });
        expect({ qtime: b.qtime, ctime: b.ctime <= 5, rtime: near(b.rtime!, DELAY / 2), ttime: near(b.ttime!, DELAY / 2), rtime_max: near(b.rtime_max!, DELAY), qtime_max: b.qtime_max })
          .toEqual({ qtime: 0, ctime: true, rtime: true, ttime: true, rtime_max: true, qtime_max: 0 });
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
