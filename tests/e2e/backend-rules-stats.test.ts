// A backend's show stat rows when its own rules answer, beside HAProxy 2.6 on
// the same haproxy.cfg: the stream came to the backend, so it is one of the
// backend's sessions and requests (stot, req_tot, hrsp_*), a deny is a denied
// request of both the frontend and the backend (dreq), and a backend's
// `return` is not the frontend's `intercepted`.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";

const server = http.createServer((_req, res) => res.end("ok"));
afterAll(() => server.close());

/** Some columns of one row of show stat, `name=value` joined. */
async function columns(api: string, pxname: string, svname: string, names: string[]): Promise<string> {
  const [head, ...rows] = (await ask(api, "show stat")).split("\n");
  const cols = head!.replace(/^# /, "").split(",");
  const row = rows.map((r) => r.split(",")).find((f) => f[0] === pxname && f[1] === svname)!;
  return names.map((n) => `${n}=${row[cols.indexOf(n)]}`).join(" ");
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    }).on("error", () => resolve(0));
  });
}

describe("a backend's own answers in show stat against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: deny and return in the backend count as the backend's`, async () => {
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
    maxconn 1000
    http-request return status 200 content-type text/plain string front if { path /front }
    default_backend b
backend b
    http-request deny if { path /deny }
    http-request return status 200 content-type text/plain string back if { path /back }
    server s 127.0.0.1:${(server.address() as AddressInfo).port}
`, [port]);
      try {
        const statuses = [];
        for (const path of ["/deny", "/deny", "/back", "/", "/front"]) statuses.push(await get(port, path));
        expect(statuses).toEqual([403, 403, 200, 200, 200]);
        const seen = {
          frontend: await columns(api, "f", "FRONTEND", ["stot", "dreq", "req_tot", "hrsp_2xx", "hrsp_4xx", "intercepted"]),
          backend: await columns(api, "b", "BACKEND", ["stot", "dreq", "req_tot", "hrsp_2xx", "hrsp_4xx", "lbtot"]),
          server: await columns(api, "b", "s", ["stot", "req_tot", "hrsp_2xx"]),
        };
        // The frontend's one more session and 4xx: the harness's readiness probe, refused before any stream.
        expect(seen).toEqual({
          frontend: "stot=6 dreq=2 req_tot=6 hrsp_2xx=3 hrsp_4xx=3 intercepted=1",
          backend: "stot=4 dreq=2 req_tot=4 hrsp_2xx=2 hrsp_4xx=2 lbtot=1",
          server: "stot=1 req_tot=1 hrsp_2xx=1",
        });
        // Which columns each row has at all, as HAProxy's: eresp and the aborts are not a frontend's, the request
        // rate and intercepted are not a backend's or a server's; a backend's slim is its fullconn.
        const presence = async (px: string, sv: string) => {
          const [head, ...rows] = (await ask(api, "show stat")).split("\n");
          const cols = head!.replace(/^# /, "").split(",");
          const r = rows.map((x) => x.split(",")).find((f) => f[0] === px && f[1] === sv)!;
          return ["slim", "eresp", "cli_abrt", "srv_abrt", "req_rate", "req_rate_max", "intercepted", "qtime", "ctime", "rtime", "ttime", "rtime_max"]
            .map((c) => `${c}${r[cols.indexOf(c)] === "" ? "-" : "+"}`).join(" ");
        };
        const columnsSeen = { f: await presence("f", "FRONTEND"), b: await presence("b", "BACKEND"), s: await presence("b", "s") };
        // A tenth of the maxconn of the frontends that reach it.
        expect(await columns(api, "b", "BACKEND", ["slim"])).toBe("slim=100");
        expectSameAsHaproxy(answers, proxy.name, { ...seen, columnsSeen });
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
