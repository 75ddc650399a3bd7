// The stats listener's admin side on a real sluice (Bun, Deno, the binary),
// observed from two real backends: a server drained over the JSON API takes
// no new request while a slow one in flight on it completes; a weight change
// shifts the split; stats auth answers 401 before stats admin's 403, and
// `stats admin if { src ... }` lets 127.0.0.1 in on one listener and not on
// the other; the page's form POSTed by curl changes a server's state.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, type Run, selectedTargets, startSluice, stopSluice } from "./harness.ts";

const AUTH = { authorization: "Basic " + Buffer.from("admin:secret").toString("base64") };

/** A real HTTP backend answering its name; /slow answers after `slowMs`. Counts what it served. */
async function namedBackend(name: string, slowMs: number) {
  const seen = { fast: 0, slow: 0 };
  const server = http.createServer((req, res) => {
    const answer = () => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": String(name.length) });
      res.end(name);
    };
    if (req.url === "/slow") {
      seen.slow++;
      setTimeout(answer, slowMs);
    } else {
      seen.fast++;
      answer();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, seen, port: (server.address() as AddressInfo).port };
}

let a: Awaited<ReturnType<typeof namedBackend>>;
let b: Awaited<ReturnType<typeof namedBackend>>;

beforeAll(async () => {
  a = await namedBackend("A", 1500);
  b = await namedBackend("B", 1500);
});
afterAll(() => {
  a.server.close();
  b.server.close();
});

for (const target of selectedTargets()) {
  describe(`stats admin and the JSON API (${target.name})`, () => {
    let run: Run;
    let fePort = 0;
    let statsPort = 0;
    let otherPort = 0;
    const api = (path: string, body?: unknown, headers: Record<string, string> = AUTH, port = statsPort) =>
      fetch(`http://127.0.0.1:${port}/stats/api/${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { ...headers, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const change = async (server: string, body: unknown) => {
      const res = await api(`servers/be/${server}`, body);
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    /** `n` requests one after the other: who answered each. */
    const answers = async (n: number) => {
      const out = { A: 0, B: 0 };
      for (let i = 0; i < n; i++) {
        const res = await fetch(`http://127.0.0.1:${fePort}/`);
        out[(await res.text()) as "A" | "B"]++;
      }
      return out;
    };

    beforeAll(async () => {
      fePort = await freePort();
      statsPort = await freePort();
      otherPort = await freePort();
      run = await startSluice(target, `defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${fePort}
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:${a.port}
    server s2 127.0.0.1:${b.port}
listen stats
    bind 127.0.0.1:${statsPort}
    stats enable
    stats uri /stats
    stats auth admin:secret
    acl local src 127.0.0.1
    stats admin if local
listen elsewhere
    bind 127.0.0.1:${otherPort}
    stats enable
    stats uri /stats
    stats admin if { src 10.0.0.0/8 }
`);
    });
    afterAll(async () => {
      if (run !== undefined) await stopSluice(run);
    });

    test("401 without stats auth, 403 where stats admin excludes 127.0.0.1, the list for anyone authenticated", async () => {
      expect((await api("servers/be/s1", { state: "drain" }, {})).status).toBe(401);
      const denied = await api("servers/be/s1", { state: "drain" }, {}, otherPort);
      expect(denied.status).toBe(403);
      expect((await api("servers", undefined, {}, otherPort)).status).toBe(200);
      const list = (await (await api("servers")).json()) as { servers: Record<string, unknown>[] };
      expect(list.servers.map((s) => [s.server, s.state, s.weight])).toEqual([["s1", "UP", 1], ["s2", "UP", 1]]);
      const refused = await api("servers/be/s1", { weight: "999" });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ error: "Absolute weight can only be between 0 and 256 inclusive." });
    });

    test("drain: new requests go elsewhere while a slow one in flight on the drained server completes", async () => {
      // Everything to s1 first, so the slow request lands there.
      expect(await change("s2", { weight: "0" })).toMatchObject({ weight: 0 });
      const slowSeen = a.seen.slow;
      const slow = fetch(`http://127.0.0.1:${fePort}/slow`).then(async (r) => [r.status, await r.text()] as const);
      for (let i = 0; i < 100 && a.seen.slow === slowSeen; i++) await Bun.sleep(10);
      expect(a.seen.slow).toBe(slowSeen + 1);
      expect(await change("s1", { state: "drain" })).toMatchObject({ state: "DRAIN", admin: "DRAIN" });
      expect(await change("s2", { weight: "100%" })).toMatchObject({ weight: 1 });
      const fastBefore = a.seen.fast;
      expect(await answers(10)).toEqual({ A: 0, B: 10 });
      expect(a.seen.fast).toBe(fastBefore);
      expect(await slow).toEqual([200, "A"]);
      expect(await change("s1", { state: "ready" })).toMatchObject({ state: "UP" });
    });

    test("a weight change shifts the split", async () => {
      const even = await answers(20);
      expect(even).toEqual({ A: 10, B: 10 });
      expect(await change("s1", { weight: 3 })).toMatchObject({ weight: 3 });
      const split = await answers(40);
      expect(split.A + split.B).toBe(40);
      // Three in four to s1, whatever phase the smooth round robin was in.
      expect(Math.abs(split.A - 30)).toBeLessThanOrEqual(2);
      await change("s1", { weight: "100%" });
    });

    test("the page's form, POSTed by curl, changes a server's state and redirects with the result", () => {
      const page = spawnSync("curl", ["-s", "-u", "admin:secret", `http://127.0.0.1:${statsPort}/stats`], { encoding: "utf8" });
      expect(page.stdout).toContain('<input type="checkbox" name="s" value="s2">');
      const post = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %header{location}", "-u", "admin:secret", "-d", "b=be&s=s2&action=maint", `http://127.0.0.1:${statsPort}/stats`], { encoding: "utf8" });
      expect(post.stdout).toBe("303 /stats;st=DONE");
      const after = spawnSync("curl", ["-s", "-u", "admin:secret", `http://127.0.0.1:${statsPort}/stats;st=DONE`], { encoding: "utf8" });
      expect(after.stdout).toContain("Action processed successfully.");
      const list = spawnSync("curl", ["-s", "-u", "admin:secret", `http://127.0.0.1:${statsPort}/stats/api/servers`], { encoding: "utf8" });
      expect((JSON.parse(list.stdout) as { servers: { server: string; state: string }[] }).servers.find((s) => s.server === "s2")!.state).toBe("MAINT");
      const denied = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", "b=be&s=s2&action=ready", `http://127.0.0.1:${otherPort}/stats`], { encoding: "utf8" });
      expect(denied.stdout).toBe("403");
    });
  });
}
