// `show info`'s TLS figures beside HAProxy 2.6 on the same haproxy.cfg: two
// HTTPS requests on their own connections to a `bind ... ssl` frontend whose
// backend speaks TLS to a second `bind ... ssl` frontend. HAProxy counts
// every TLS endpoint, front and back: 2 client sessions, the backend's
// connections and the inner frontend's sessions for them. The totals are
// compared with HAProxy's as the change from before the requests: HAProxy
// counts a connection to a TLS bind at accept, the harness's readiness probes
// (connected, no handshake) too, where sluice counts it once its handshake is
// done. CurrSslConns depends on how many idle backend connections each keeps
// (HAProxy one per thread) and is compared by type.
import { afterAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { TestPki } from "../support/certs.ts";
import { freePort, sleep, tempDir } from "./harness.ts";
import { haproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";


function field(text: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)$`, "m").exec(text)?.[1];
}

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const reference = new Map<string, string | undefined>();
const pki = new TestPki(tempDir());
const leaf = pki.leaf("site", { names: ["localhost", "127.0.0.1"] });

for (const proxy of proxiesUnderTest()) {
  describe(`show info, TLS (${proxy.name})`, () => {
    let running: RunningProxy;
    let api: string;
    let web: number;
    let before: string;

    test("serves two HTTPS requests through a TLS backend", async () => {
      web = await freePort();
      const inner = await freePort();
      api = join(tempDir(), "api.sock");
      running = await proxy.start(`global
    stats socket ${api} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend www
    bind 127.0.0.1:${web} ssl crt ${leaf.pem}
    default_backend app
frontend inner
    bind 127.0.0.1:${inner} ssl crt ${leaf.pem}
    http-request return status 200 content-type text/plain string ok
backend app
    # One backend connection per client connection, whatever the load (HAProxy otherwise keeps one idle per thread).
    http-reuse never
    server s1 127.0.0.1:${inner} ssl verify none
`, [web, inner]);
      cleanups.push(() => running.stop());
      // The readiness probes (a connect to each TLS port, closed before any handshake) are counted when the
      // proxy sees them end: let that settle before the figures the test compares start.
      await sleep(300);
      before = await ask(api, "show info");
      for (let i = 0; i < 2; i++) {
        const out = execFileSync("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", `https://127.0.0.1:${web}/`], { encoding: "utf8" });
        expect(out).toBe("200");
      }
    }, 30000);

    test("CumSslConns, CumConns, CumReq grow as HAProxy's; MaxSslConns, SslRateLimit the same", async () => {
      const info = await ask(api, "show info");
      const got = (n: string) => field(info, n);
      const grew = (n: string) => String(Number(got(n)) - Number(field(before, n)));
      expect(got("CurrSslConns")).toMatch(/^\d+$/);
      expect(Number(got("MaxSslRate"))).toBeGreaterThanOrEqual(2);
      // Two client sessions, the backend's connections to the inner frontend and its sessions: 6 (measured on HAProxy).
      expect(grew("CumSslConns")).toBe("6");
      const same = ["MaxSslConns", "SslRateLimit"].map((n) => [n, got(n)] as const).concat(["CumSslConns", "CumConns", "CumReq"].map((n) => [`${n} grew`, grew(n)] as const));
      if (proxy === haproxy) {
        for (const [n, v] of same) reference.set(n, v);
        return;
      }
      for (const [n, v] of same) expect([n, v]).toEqual([n, reference.get(n)]);
    }, 30000);
  });
}
