// Balancing with real backends on loopback, under Bun, Deno and the binary:
// uri hashing keeps a URI on one server, leastconn keeps work away from a
// slow server, backups take over when the active servers are disabled, a
// server named by a host name is resolved at start, and `source` in TCP
// mode keeps one client on one server.
import { afterEach, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exchange, freePort, nameBackend, type Run, selectedTargets, spawnSluice, startSluice, stopSluice, tempDir } from "./harness.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

interface NamedHttp {
  port: number;
  /** Requests being answered now, and the most at once. */
  active: number;
  maxActive: number;
  close(): void;
}

/** An HTTP server that answers its name, after `delayMs`. */
async function httpNamed(name: string, delayMs = 0): Promise<NamedHttp> {
  const srv = http.createServer((_req, res) => {
    named.active++;
    named.maxActive = Math.max(named.maxActive, named.active);
    setTimeout(() => {
      named.active--;
      res.end(name);
    }, delayMs);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const named: NamedHttp = {
    active: 0,
    maxActive: 0,
    port: (srv.address() as AddressInfo).port,
    close: () => {
      srv.closeAllConnections();
      srv.close();
    },
  };
  return named;
}

async function get(port: number, path = "/"): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return await res.text();
}

function httpConfig(port: number, backend: string): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:${port}
    default_backend be

backend be
${backend.split("\n").map((l) => `    ${l.trim()}`).join("\n")}
`;
}

for (const target of selectedTargets()) {
  describe(`balancing (${target.name})`, () => {
    let run: Run | undefined;
    const closers: (() => void)[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const c of closers.splice(0)) c();
    });

    test("balance uri: the same URI always reaches the same server; different URIs spread", async () => {
      const servers = await Promise.all(["a", "b", "c"].map((n) => httpNamed(n)));
      for (const s of servers) closers.push(s.close);
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `balance uri
        hash-type consistent
        ${servers.map((s, i) => `server ${"abc"[i]} 127.0.0.1:${s.port}`).join("\n")}`));
      const owner = new Map<string, string>();
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 20; i++) {
          const path = `/item/${i}?round=${round}`;
          const who = await get(port, path);
          const first = owner.get(`/item/${i}`);
          if (first === undefined) owner.set(`/item/${i}`, who);
          else expect(who).toBe(first);
        }
      }
      expect(new Set(owner.values()).size).toBeGreaterThanOrEqual(2);
    });

    test("balance leastconn: requests do not pile up on a slow server while fast ones are free", async () => {
      const slow = await httpNamed("slow", 200);
      const fast = await Promise.all([httpNamed("f1"), httpNamed("f2")]);
      for (const s of [slow, ...fast]) closers.push(s.close);
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `balance leastconn
        server slow 127.0.0.1:${slow.port}
        server f1 127.0.0.1:${fast[0]!.port}
        server f2 127.0.0.1:${fast[1]!.port}`));
      const counts = new Map<string, number>();
      // Six clients, 10 requests each, one after the other: round-robin would
      // pile up to six requests on the slow server, a third of them in all.
      await Promise.all([0, 1, 2, 3, 4, 5].map(async () => {
        for (let i = 0; i < 10; i++) {
          const who = await get(port);
          counts.set(who, (counts.get(who) ?? 0) + 1);
        }
      }));
      expect((counts.get("f1") ?? 0) + (counts.get("f2") ?? 0) + (counts.get("slow") ?? 0)).toBe(60);
      // Six requests arriving at once give each server two; after that the slow one never has more.
      expect(slow.maxActive).toBeLessThanOrEqual(2);
      expect(counts.get("slow") ?? 0).toBeLessThan(15);
    });

    test("backup servers take over when every active one is disabled; allbackups shares among them", async () => {
      const servers = await Promise.all(["a", "k1", "k2"].map((n) => httpNamed(n)));
      for (const s of servers) closers.push(s.close);
      const [a, k1, k2] = servers as [NamedHttp, NamedHttp, NamedHttp];
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `server a 127.0.0.1:${a.port} disabled
        server k1 127.0.0.1:${k1.port} backup
        server k2 127.0.0.1:${k2.port} backup`));
      const first: string[] = [];
      for (let i = 0; i < 4; i++) first.push(await get(port));
      expect(first).toEqual(["k1", "k1", "k1", "k1"]);
      await stopSluice(run);
      run = await startSluice(target, httpConfig(port, `option allbackups
        server a 127.0.0.1:${a.port} disabled
        server k1 127.0.0.1:${k1.port} backup
        server k2 127.0.0.1:${k2.port} backup`));
      const all: string[] = [];
      for (let i = 0; i < 4; i++) all.push(await get(port));
      expect(all.sort()).toEqual(["k1", "k1", "k2", "k2"]);
    });

    test("a server named by a host name is resolved at start; init-addr none starts without it; an unresolvable name stops the start", async () => {
      const named = await httpNamed("named");
      closers.push(named.close);
      const port = await freePort();
      run = await startSluice(target, httpConfig(port, `server byname localhost:${named.port}
        server nowhere no-such-host.invalid:1 init-addr none`));
      for (let i = 0; i < 3; i++) expect(await get(port)).toBe("named");
      await stopSluice(run);
      run = undefined;
      const file = join(tempDir(), "sluice.cfg");
      writeFileSync(file, httpConfig(port, "server nowhere no-such-host.invalid:1"));
      const failed = spawnSluice(target, ["-f", file]);
      expect(await failed.exited).not.toBe(0);
      expect(failed.errLines.join("\n")).toContain(
        "server 'nowhere': no address for 'no-such-host.invalid' (init-addr last,libc: last: no address in a server-state file; libc: could not resolve 'no-such-host.invalid'",
      );
    });

    test("balance source in mode tcp: one client address, one server", async () => {
      const servers = await Promise.all(["s1", "s2", "s3"].map((n) => nameBackend(n)));
      const port = await freePort();
      try {
        run = await startSluice(target, `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen db
    bind 127.0.0.1:${port}
    balance source
${servers.map((s, i) => `    server s${i + 1} 127.0.0.1:${s.port}`).join("\n")}
`);
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) seen.add((await exchange(port)).data.toString());
        expect(seen.size).toBe(1);
      } finally {
        for (const s of servers) await s.close();
      }
    });
  });
}
