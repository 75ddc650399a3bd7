// monitor-uri beside HAProxy 2.6: the same haproxy.cfg, the same requests, the
// same answers. The monitor path is answered before any rule (an
// `http-request deny` for everything does not touch it), with HAProxy's
// "Service ready." page, keep-alive kept; `monitor fail if COND` answers 503;
// the URI is compared as sent (a query string is another URI). A stats
// listener answers its monitor-uri too; `sluice probe` reads it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort, selectedTargets, spawnSluice, tempDir } from "./harness.ts";
import { proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";

function configFor(port: number, backend: number, failPort: number): string {
  return `
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    monitor-uri /healthz

frontend web
    bind 127.0.0.1:${port}
    acl admin_path path_beg /admin
    http-request deny if admin_path
    default_backend app

frontend failing
    bind 127.0.0.1:${failPort}
    monitor-uri /alive
    acl app_down nbsrv(dead) lt 1
    monitor fail if app_down
    monitor fail if { req.hdr(x-maintenance) on }
    http-request deny
    default_backend app

backend app
    server a 127.0.0.1:${backend}

backend dead
    server d 127.0.0.1:1 check inter 200ms fall 1
`;
}

/** Sends raw requests on one connection and returns everything read until the peer closes or `ms` pass. */
function rawExchange(port: number, text: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let out = "";
    const timer = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, ms);
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on("error", () => undefined);
    s.write(text);
  });
}

/** Status, lower-cased fields (content-length, content-type, cache-control) and body of each response in `raw`. */
function responses(raw: string): { status: number; fields: Record<string, string>; body: string }[] {
  const out: { status: number; fields: Record<string, string>; body: string }[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const [line, ...lines] = rest.slice(0, end).split("\r\n");
    const fields: Record<string, string> = {};
    for (const l of lines) {
      const colon = l.indexOf(":");
      const name = l.slice(0, colon).toLowerCase();
      if (["content-length", "content-type", "cache-control", "connection"].includes(name)) fields[name] = l.slice(colon + 1).trim();
    }
    const length = Number(fields["content-length"] ?? 0);
    out.push({ status: Number(line!.split(" ")[1]), fields, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

describe("monitor-uri against HAProxy 2.6", () => {
  let server: Server;
  const backend = { port: 0 };
  const answers = new Map<string, unknown>();

  beforeAll(async () => {
    server = createServer((_req, res) => res.end("from the application"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    backend.port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the monitor answers before the rules, 200 or 503, as HAProxy`, async () => {
      const [port, failPort] = [await freePort(), await freePort()];
      const running: RunningProxy = await proxy.start(configFor(port, backend.port, failPort), [port, failPort]);
      try {
        // Two monitor requests on one connection: keep-alive kept; then a rule's deny, then traffic.
        const keepAlive = responses(await rawExchange(port, get("/healthz") + get("/healthz") + get("/admin/x") + get("/healthz?full") + get("/", "Connection: close\r\n")));
        // The dead backend's server is seen DOWN after its first check.
        await new Promise((r) => setTimeout(r, 700));
        const failing = responses(await rawExchange(failPort, get("/alive", "Connection: close\r\n")));
        const summary = {
          keepAlive: keepAlive.map((r) => ({ status: r.status, body: r.status === 200 && r.body.includes("Service") ? r.body : r.body.length > 0 })),
          monitorFields: { type: keepAlive[0]?.fields["content-type"], cache: keepAlive[0]?.fields["cache-control"] },
          failing: failing.map((r) => ({ status: r.status, body: r.body.includes("503 Service Unavailable") })),
        };
        expect(summary.keepAlive.map((r) => r.status)).toEqual([200, 200, 403, 200, 200]);
        expect(summary.keepAlive[0]!.body).toBe("<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n");
        expect(summary.monitorFields).toEqual({ type: "text/html", cache: "no-cache" });
        expect(summary.failing).toEqual([{ status: 503, body: true }]);
        answers.set(proxy.name, summary);
        const reference = answers.get("haproxy");
        if (reference !== undefined) expect(summary).toEqual(reference as typeof summary);
      } finally {
        await running.stop();
      }
    });
  }

  for (const target of selectedTargets()) {
    test(`${target.name}: a stats listener's monitor-uri, read by sluice probe`, async () => {
      const port = await freePort();
      const cfgPath = join(tempDir(), "stats.cfg");
      await Bun.write(cfgPath, `listen stats\n    bind 127.0.0.1:${port}\n    mode http\n    stats enable\n    stats uri /stats\n    monitor-uri /ready\n`);
      const run = spawnSluice(target, ["-f", cfgPath]);
      try {
        const deadline = Date.now() + 15000;
        while (!run.errLines.some((l) => l.includes(") ready")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const ok = spawnSluice(target, ["probe", "--timeout", "2s", `http://127.0.0.1:${port}/ready`]);
        expect(await ok.exited).toBe(0);
        expect(ok.outText()).toContain(`/ready: 200 OK`);
        const missing = spawnSluice(target, ["probe", `http://127.0.0.1:${port}/nothing`]);
        expect(await missing.exited).toBe(1);
        expect(missing.errLines.join("\n")).toContain("503");
      } finally {
        run.kill("SIGTERM");
        await run.exited;
      }
    });
  }
});
