// examples/rules.cfg (and its YAML twin) end to end, from the repository root
// as its comments say: certificates from examples/certs/make-certs.sh, web
// servers on :9001/:9002, api on :9003, static on :9004. Checked, the same way
// against HAProxy (the .cfg) and sluice under each target: plain HTTP sent to
// HTTPS, the admin area open to the office network (loopback here), host and
// path routing with the rules of each backend, cookie persistence, and the
// per-address rate limit answering 429 from the 21st request in 10 s.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync, spawn } from "node:child_process";
import http from "node:http";
import { join } from "node:path";
import { ROOT } from "./harness.ts";
import { accepted, haproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";

const TIMEOUT = 30000;
execFileSync("sh", [join(ROOT, "examples/certs/make-certs.sh")], { stdio: "ignore" });
const CA = join(ROOT, "examples/certs/ca.crt");

function server(name: string, port: number): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    req.resume();
    res.end(`${name} ${req.url} ${req.headers["x-forwarded-proto"] ?? "-"} ${req.headers.cookie ?? "-"}\n`);
  });
  return new Promise((r) => s.listen(port, "127.0.0.1", () => r(s)));
}

/** curl with the example CA; prints the head (-i) and body. */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn("curl", ["-sS", "-i", "--max-time", "5", "--cacert", CA, "--resolve", "www.example.test:8443:127.0.0.1", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", () => resolve(out.replace(/\r\n/g, "\n")));
  });
}

for (const proxy of proxiesUnderTest()) {
  for (const file of proxy === haproxy ? ["examples/rules.cfg"] : ["examples/rules.cfg", "examples/rules.yaml"]) {
    if (!accepted(proxy, file)) continue;
    describe(`${file} (${proxy.name})`, () => {
      let servers: http.Server[] = [];
      let run: RunningProxy;
      beforeAll(async () => {
        servers = await Promise.all([server("w1", 9001), server("w2", 9002), server("api", 9003), server("static", 9004)]);
        run = await proxy.startFile(file, [8080, 8443]);
      });
      afterAll(async () => {
        await run?.stop();
        await Promise.all(servers.map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
      });

      test("plain HTTP goes to HTTPS, except /healthz", async () => {
        const r = await curl(["http://127.0.0.1:8080/page?x=1"]);
        expect(r).toMatch(/^HTTP\/1\.1 301/);
        expect(r.toLowerCase()).toContain("location: https://127.0.0.1:8080/page?x=1");
        expect(await curl(["http://127.0.0.1:8080/healthz"])).toMatch(/^HTTP\/1\.1 200[^]*\nw[12] \/healthz - /);
      }, TIMEOUT);

      test("routing by host and path, each backend's rules, the admin area from loopback, cookie persistence", async () => {
        const api = await curl(["-H", "Host: api.example.test", "https://www.example.test:8443/v1"]);
        expect(api).toContain("\napi /v1 https ");
        expect(await curl(["https://www.example.test:8443/api/x"])).toContain("\napi /api/x https ");
        const css = await curl(["https://www.example.test:8443/site.css"]);
        expect(css).toContain("\nstatic /site.css ");
        expect(css.toLowerCase()).toContain("cache-control: public, max-age=3600");
        const first = await curl(["https://www.example.test:8443/admin/"]);
        expect(first).toMatch(/^HTTP\/2 200/);
        const cookie = /set-cookie: SRV=(w[12]); path=\/; HttpOnly/i.exec(first)?.[1];
        expect(cookie).toBeDefined();
        // The cookie keeps the client on its server, which never sees it (indirect).
        for (let i = 0; i < 3; i++) {
          const again = await curl(["-b", `SRV=${cookie}`, "https://www.example.test:8443/page"]);
          expect(again).toContain(`\n${cookie} /page - -\n`);
        }
      }, TIMEOUT);

      test("the 21st request in 10 s from one address gets 429", async () => {
        // The earlier tests of this file made 8 tracked requests from 127.0.0.1
        // (/healthz and the 7 over HTTPS; the redirected one stopped before track-sc0).
        const statuses: number[] = [];
        for (let i = 0; i < 15; i++) {
          const r = await curl(["-o", "/dev/null", "-w", "%{http_code}", "https://www.example.test:8443/n"]);
          statuses.push(Number(r.trim().slice(-3)));
        }
        expect(statuses).toEqual([...new Array(12).fill(200), 429, 429, 429]);
      }, TIMEOUT);
    });
  }
}
