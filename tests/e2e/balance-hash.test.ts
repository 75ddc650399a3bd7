// `balance hash <expr>` (HAProxy 2.6) beside HAProxy on the same haproxy.cfg:
// the expression's value is the key (`req.cook(sid)`, `src` in mode tcp),
// hashed as `hash-type` says; the same key always reaches the same server
// and the keys spread, for map-based and consistent hashing, as HAProxy's
// (which server a key reaches differs: sluice's hash is its own,
// docs/balancing.md). A request without the cookie has no key and goes
// round-robin, as HAProxy's; `src` in mode tcp sticks to one server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { freePort } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const servers: http.Server[] = [];
const ports: number[] = [];

beforeAll(async () => {
  for (const name of ["s1", "s2", "s3", "s4"]) {
    const srv = http.createServer((_req, res) => res.end(name));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    servers.push(srv);
    ports.push((srv.address() as AddressInfo).port);
  }
});

afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** One TCP connection's answer: the HTTP body a server wrote through the tcp backend. */
function overTcp(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
    let got = "";
    s.on("data", (d) => (got += d.toString()));
    s.on("close", () => resolve(got.split("\r\n\r\n")[1] ?? "closed"));
    s.on("error", () => resolve("error"));
  });
}

describe("balance hash against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: each cookie's server, map-based and consistent; src in mode tcp`, async () => {
      const [mapBased, consistent, tcp, upgrade] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const list = ports.map((p, i) => `    server s${i + 1} 127.0.0.1:${p}`).join("\n");
      const running = await proxy.start(`
${httpDefaults()}frontend mb
    bind 127.0.0.1:${mapBased}
    default_backend by_cookie
frontend ch
    bind 127.0.0.1:${consistent}
    default_backend by_cookie_consistent
frontend raw
    bind 127.0.0.1:${tcp}
    mode tcp
    default_backend by_source
frontend upgraded
    bind 127.0.0.1:${upgrade}
    mode tcp
    default_backend by_cookie
backend by_cookie
    balance hash req.cook(sid)
${list}
backend by_cookie_consistent
    balance hash req.cook(sid)
    hash-type consistent
${list}
backend by_source
    mode tcp
    balance hash src
${list}
`, [mapBased, consistent, tcp, upgrade]);
      try {
        const ask = async (port: number, sid?: string) =>
          (await fetch(`http://127.0.0.1:${port}/`, { headers: sid === undefined ? {} : { cookie: `sid=${sid}; other=1` } })).text();
        const keys = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"];
        const seen: Record<string, unknown> = {};
        // A mode tcp frontend whose connections upgrade to the http backend hashes the same way (no rules of its own).
        for (const [name, port] of [["map-based", mapBased], ["consistent", consistent], ["upgraded", upgrade]] as const) {
          const first = await Promise.all(keys.map((k) => ask(port, k)));
          // One request without a key in between moves a round-robin on by one: only a hash gives the same servers again.
          await ask(port);
          const again = await Promise.all(keys.map((k) => ask(port, k)));
          expect(again).toEqual(first);
          // Spread: the twelve keys reach more than one server.
          seen[`${name} spreads`] = new Set(first).size > 1;
          // No cookie, no key: round-robin over the four.
          const none = [];
          for (let i = 0; i < 8; i++) none.push(await ask(port));
          seen[`${name} without a key`] = [...new Set(none)].sort();
        }
        const viaTcp = [await overTcp(tcp), await overTcp(tcp), await overTcp(tcp)];
        expect(new Set(viaTcp).size).toBe(1);
        expect(seen["map-based spreads"]).toBe(true);
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
