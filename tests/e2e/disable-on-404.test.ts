// `http-check disable-on-404` with real traffic: a server whose health URI
// answers 404 goes NOLB ("is stopping"); new clients all go to the other
// server, a client whose persistence cookie names it still reaches it; once
// its health URI answers 200 it takes new clients again ("is UP"). The
// check requests carry X-Haproxy-Server-State (`http-check send-state`).
import { afterEach, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, type Run, selectedTargets, startSluice, stopSluice, waitFor } from "./harness.ts";

async function named(name: string) {
  const health = { status: 200, state: "" };
  const srv = http.createServer((req, res) => {
    if (req.url === "/health") {
      health.state = String(req.headers["x-haproxy-server-state"] ?? "");
      res.statusCode = health.status;
      return res.end();
    }
    res.end(name);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { health, port: (srv.address() as AddressInfo).port, close: () => srv.close() };
}

async function get(port: number, cookie?: string): Promise<string> {
  return await new Promise((resolve) => {
    const headers = cookie === undefined ? {} : { cookie };
    http.get({ host: "127.0.0.1", port, path: "/", agent: false, headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    }).on("error", () => resolve(""));
  });
}

for (const target of selectedTargets()) {
  describe(`http-check disable-on-404 (${target.name})`, () => {
    let run: Run | undefined;
    const closers: (() => unknown)[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const c of closers.splice(0)) c();
    });

    test("404: no new clients, the persistent ones still served; 200: back in the balancer", async () => {
      const a = await named("a");
      const b = await named("b");
      closers.push(a.close, b.close);
      const port = await freePort();
      run = await startSluice(target, `global
    node lb1
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    option httpchk GET /health
    http-check disable-on-404
    http-check send-state
    cookie SRV insert indirect nocache
    server a 127.0.0.1:${a.port} check inter 100ms cookie a
    server b 127.0.0.1:${b.port} check inter 100ms cookie b
`);
      await waitFor(() => a.health.state !== "", 5000, "a first check");
      expect(a.health.state).toMatch(new RegExp(`^UP( \\d/3)?; address=127\\.0\\.0\\.1; port=${a.port}; name=be/a; node=lb1; weight=1/2; scur=0/0; qcur=0$`));
      a.health.status = 404;
      const logged = (re: RegExp) => run!.errLines.filter((l) => re.test(l));
      await waitFor(() => logged(/Server be\/a is stopping/).length === 1, 5000, "a stopping");
      expect(logged(/Server be\/a is stopping/)[0]).toMatch(
        /^Server be\/a is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: \d+ms\. 1 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$/,
      );
      const fresh: string[] = [];
      for (let i = 0; i < 6; i++) fresh.push(await get(port));
      expect(fresh).toEqual(["b", "b", "b", "b", "b", "b"]);
      expect(await get(port, "SRV=a")).toBe("a");
      await waitFor(() => a.health.state.startsWith("NOLB"), 5000, "the NOLB state in the check request");
      a.health.status = 200;
      await waitFor(() => logged(/Server be\/a is UP/).length === 1, 5000, "a UP");
      const again = new Set<string>();
      for (let i = 0; i < 6; i++) again.add(await get(port));
      expect([...again].sort()).toEqual(["a", "b"]);
    });
  });
}
