// The edge options real configs carry (issue 19, edgeopts), over real
// sockets: TLS settings on a server without `ssl` that only its checks use
// (OKD's external load balancer: `check-ssl verify none` in mode tcp).
import { afterEach, describe, expect, test } from "bun:test";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { type Leaf, TestPki } from "../support/certs.ts";
import { freePort, type Run, selectedTargets, startSluice, stopSluice, waitFor } from "./harness.ts";

/** An HTTPS server that names itself; `checks` counts its /readyz requests. */
async function namedHttps(name: string, leaf: Leaf) {
  const seen = { checks: 0 };
  const srv = https.createServer({ cert: leaf.certPem, key: leaf.keyPem, ALPNProtocols: ["http/1.1"] }, (req, res) => {
    if (req.url === "/readyz") {
      seen.checks++;
      return res.end("ok");
    }
    res.end(name);
  });
  srv.on("tlsClientError", () => {});
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { name, seen, port: (srv.address() as AddressInfo).port, close: () => srv.close() };
}

/** One HTTPS GET through a TLS-passthrough port: the body, or "" on error. */
async function getThrough(port: number): Promise<string> {
  return await new Promise((resolve) => {
    const req = https.get({ host: "127.0.0.1", port, path: "/", agent: false, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    });
    req.on("error", () => resolve(""));
  });
}

const HEAD = `defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
`;

for (const target of selectedTargets()) {
  describe(`edge options (${target.name})`, () => {
    let run: Run | undefined;
    const closers: (() => unknown)[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const c of closers.splice(0)) await c();
    });
    const logged = (re: RegExp) => run!.errLines.filter((l) => re.test(l));

    test("check-ssl with verify on a server without ssl (OKD's LB): checks speak TLS with those settings, traffic passes through untouched", async () => {
      const pki = new TestPki();
      const a = await namedHttps("a", pki.leaf("a", { names: ["srv.test"], selfSigned: true }));
      const b = await namedHttps("b", pki.leaf("b", { names: ["srv.test"], selfSigned: true }));
      const c = await namedHttps("c", pki.leaf("c", { names: ["srv.test"] }));
      closers.push(a.close, b.close, c.close);
      const port = await freePort();
      run = await startSluice(target, `${HEAD}    mode tcp
listen api
    bind 127.0.0.1:${port}
    option httpchk GET /readyz HTTP/1.0
    http-check expect string ok
    default-server check inter 300ms fall 1 rise 1
    server a 127.0.0.1:${a.port} check-ssl verify none
    server b 127.0.0.1:${b.port} check-ssl verify required ca-file ${pki.caFile}
    server c 127.0.0.1:${c.port} check-ssl verify required ca-file ${pki.caFile}
`);
      // b's self-signed certificate does not verify against the CA: its checks fail the handshake.
      await waitFor(() => logged(/Server api\/b is DOWN/).length === 1, 5000, "b DOWN");
      expect(logged(/Server api\/b is DOWN/)[0]).toMatch(/reason: Layer6 invalid response, info: "SSL handshake failure/);
      // a (verify none) and c (signed by the CA) pass their checks over TLS: a plain check could not read /readyz.
      await waitFor(() => a.seen.checks >= 2 && c.seen.checks >= 2, 5000, "TLS checks of a and c");
      expect(logged(/Server api\/[ac] is DOWN/)).toEqual([]);
      // The traffic is not wrapped in TLS by sluice: the client's own TLS reaches a and c.
      const bodies = new Set<string>();
      for (let i = 0; i < 6; i++) bodies.add(await getThrough(port));
      expect([...bodies].sort()).toEqual(["a", "c"]);
    });
  });
}
