// The stats page inside a proxy that routes (issue 19, HAProxy's stats
// applet), on a real sluice (Bun, Deno, the binary) with a real HTTP backend:
// a frontend with `stats uri` and use_backend/default_backend serves the page
// under its uri after its http-request rules (a denied path stays denied) and
// routes everything else; a backend with `stats` lines serves the page to the
// requests a use_backend sends there, through its `stats http-request`
// rules (deny, allow, auth with a real userlist) and `stats scope`;
// `use-service prometheus-exporter` in a routing frontend; `stats show-node`,
// `show-desc`, `show-modules` on the HTML page.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, type Run, selectedTargets, startSluice, stopSluice } from "./harness.ts";

let backend: http.Server;
let backendPort = 0;

beforeAll(async () => {
  backend = http.createServer((req, res) => {
    const body = `backend saw ${req.url}`;
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(body.length) });
    res.end(body);
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
  backendPort = (backend.address() as AddressInfo).port;
});
afterAll(() => backend.close());

const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`).toString("base64");

for (const target of selectedTargets()) {
  describe(`stats page inside a proxy (${target.name})`, () => {
    let run: Run;
    let port = 0;
    let port2 = 0;
    const url = (path: string, p = port) => `http://127.0.0.1:${p}${path}`;

    beforeAll(async () => {
      port = await freePort();
      port2 = await freePort();
      run = await startSluice(target, `global
    node edge-7
    description the global one
userlist ops
    group adm users tiger
    user tiger insecure-password dog
    user scott insecure-password cat
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend public
    bind 127.0.0.1:${port}
    http-request deny if { path_beg /admin/stats/secret }
    http-request set-header X-Seen yes
    http-request use-service prometheus-exporter if { path /metrics }
    stats uri /admin/stats
    stats show-node
    stats show-desc our edge
    stats show-modules
    use_backend statsbe if { hdr_beg(host) -i stats. }
    use_backend app if { path_beg /img }
    default_backend app
frontend other
    bind 127.0.0.1:${port2}
    use_backend statsbe if { path_beg /st }
    default_backend app
backend app
    server s1 127.0.0.1:${backendPort}
backend statsbe
    acl guests hdr(x-guest) yes
    acl nagios hdr(x-nagios) yes
    acl auth_ok http_auth_group(ops) adm
    stats enable
    stats uri /
    stats scope .
    stats scope app
    stats show-node node-b
    stats http-request deny if guests
    stats http-request allow if nagios
    stats http-request allow if auth_ok
    stats http-request auth realm Stats
`);
    });
    afterAll(async () => {
      if (run !== undefined) await stopSluice(run);
    });

    test("the frontend serves its page under its stats uri, routes the rest, keeps its rules first", async () => {
      const page = await fetch(url("/admin/stats"));
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      const html = await page.text();
      // show-node without a name: the global node; show-desc with a text: that text.
      expect(html).toContain("statistics on edge-7</h1>");
      expect(html).toContain('<p class="desc">our edge</p>');
      // show-modules: a Modules column with each row's module counters.
      expect(html).toContain('<th rowspan="2" class="group">Modules</th>');
      expect(html).toMatch(/<td class="modules" data-col="modules"><b>ssl<\/b>: sess \d+[^]*?<b>h1<\/b>: open_connections 1, total_connections \d+/);
      expect(html).toContain('data-proxy="public"');
      expect(html).toContain('data-proxy="statsbe"');
      const csv = await (await fetch(url("/admin/stats;csv"))).text();
      expect(csv.startsWith("# pxname,svname,")).toBe(true);
      // Everything else is routed: the backend answers.
      const routed = await fetch(url("/img/logo.png"));
      expect(await routed.text()).toBe("backend saw /img/logo.png");
      expect(await (await fetch(url("/index.html"))).text()).toBe("backend saw /index.html");
      // A path that only begins like the uri's parent is not the page.
      expect(await (await fetch(url("/admin/other"))).text()).toBe("backend saw /admin/other");
      // The frontend's http-request rules run before the page, as HAProxy's: a denied path stays denied.
      expect((await fetch(url("/admin/stats/secret"))).status).toBe(403);
      // PUT is not a stats method (HAProxy: GET, HEAD, POST): routed.
      expect(await (await fetch(url("/admin/stats", port), { method: "PUT", body: "x" })).text()).toBe("backend saw /admin/stats");
    });

    test("use-service prometheus-exporter in a frontend that routes", async () => {
      const res = await fetch(url("/metrics"));
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/^sluice_frontend_http_requests_total\{proxy="public"\} [1-9]/m);
    });

    test("a backend's page through use_backend: stats http-request deny, allow, auth; stats scope", async () => {
      const viaHost = (headers: Record<string, string>) => fetch(url("/"), { headers: { host: "stats.example", ...headers } });
      // No credentials: the last rule asks for them, in its realm.
      const challenged = await viaHost({});
      expect(challenged.status).toBe(401);
      expect(challenged.headers.get("www-authenticate")).toBe('Basic realm="Stats"');
      // Guests are denied before anything else.
      expect((await viaHost({ "x-guest": "yes", authorization: basic("tiger", "dog") })).status).toBe(403);
      // A user of group adm, checked against the userlist.
      const allowed = await viaHost({ authorization: basic("tiger", "dog") });
      expect(allowed.status).toBe(200);
      const html = await allowed.text();
      expect(html).toContain("statistics on node-b</h1>");
      // stats scope . and app: only those proxies.
      expect(html).toContain('data-proxy="statsbe"');
      expect(html).toContain('data-proxy="app"');
      expect(html).not.toContain('data-proxy="public"');
      // A user outside group adm is asked again; nagios passes without a password.
      expect((await viaHost({ authorization: basic("scott", "cat") })).status).toBe(401);
      expect((await viaHost({ "x-nagios": "yes" })).status).toBe(200);
      // The backend's page from another frontend's use_backend.
      const other = await fetch(url("/stats;csv", port2), { headers: { "x-nagios": "yes" } });
      expect(other.status).toBe(200);
      const names = new Set((await other.text()).trim().split("\n").slice(1).map((l) => l.split(",")[0]));
      expect([...names].sort()).toEqual(["app", "statsbe"]);
      // That frontend's other requests are routed.
      expect(await (await fetch(url("/x", port2))).text()).toBe("backend saw /x");
    });
  });
}
