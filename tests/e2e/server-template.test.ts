// `server-template PREFIX NUM|FIRST-LAST ADDRESS [options]` beside HAProxy 2.6
// on the same haproxy.cfg: one server per number, named PREFIX1..PREFIXN (or
// PREFIXFIRST..PREFIXLAST), each with the line's options, balanced as any.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";

const server = http.createServer((_req, res) => res.end("ok"));
afterAll(() => server.close());

describe("server-template against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the servers a template makes, their options, their share of the load`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const backend = (server.address() as AddressInfo).port;
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
    balance roundrobin
    server-template srv 3 127.0.0.1:${backend} weight 2
    server-template web 5-6 127.0.0.1:${backend} backup
`, [port]);
      try {
        for (let i = 0; i < 6; i++) {
          await new Promise<void>((resolve) => http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => res.resume().on("end", resolve)).on("error", () => resolve()));
        }
        const [head, ...rows] = (await ask(api, "show stat")).split("\n");
        const cols = head!.replace(/^# /, "").split(",");
        const at = (r: string[], c: string) => r[cols.indexOf(c)];
        const seen = rows.map((r) => r.split(",")).filter((r) => r[0] === "b" && r[1] !== "BACKEND")
          .map((r) => `${r[1]} weight=${at(r, "weight")} bck=${at(r, "bck")} lbtot=${at(r, "lbtot")}`);
        expect(seen).toEqual([
          "srv1 weight=2 bck=0 lbtot=2",
          "srv2 weight=2 bck=0 lbtot=2",
          "srv3 weight=2 bck=0 lbtot=2",
          "web5 weight=1 bck=1 lbtot=0",
          "web6 weight=1 bck=1 lbtot=0",
        ]);
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
