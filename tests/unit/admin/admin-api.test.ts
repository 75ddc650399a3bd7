// The stats listener's admin side (issue 16) through app.fetch over an
// in-memory proxy: `stats admin if|unless <cond>` decides per request (401
// before it for stats auth, 403 when it says no), the JSON API lists and
// changes servers through ServerOps with the runtime API's messages, and the
// page's forms act on the ticked servers and redirect with HAProxy's result.
import { describe, expect, test } from "bun:test";
import { statsApp } from "../../../src/admin/app.ts";
import { RateHistory } from "../../../src/admin/rate-history.ts";
import { localAdmin } from "../../../src/admin/server-admin.ts";
import { ServerOps } from "../../../src/check/server-ops.ts";
import { proxyStats } from "../../../src/stats/proxy-source.ts";
import { memProxyConfig, memRuntime } from "../../support/mem-runtime.ts";

async function setup(statsLines: string) {
  const proxy = await memProxyConfig(memRuntime(), `defaults
    mode http
    no log
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    server s1 127.0.0.1:9101
    server s2 127.0.0.1:9102 weight 10
    server s3 127.0.0.1:9103 check
listen stats
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
${statsLines}
`);
  const ops = new ServerOps(proxy.backends, proxy.checks, () => proxy.clock.tick());
  const source = proxyStats(proxy, { pid: 1, version: "t" });
  const app = statsApp(proxy.config.stats![0]!, source, new RateHistory(), { servers: localAdmin(ops), now: () => proxy.clock.tick() });
  const be = proxy.backends.get("be")!;
  const server = (name: string) => be.servers.find((s) => s.name === name)!;
  const call = (path: string, init: RequestInit & { from?: string } = {}) =>
    app.fetch(new Request(`http://stats.test${path}`, init), {
      peers: { remote: { address: init.from ?? "127.0.0.1", port: 40000 }, local: { address: "127.0.0.1", port: 8404 } },
    });
  const post = (path: string, body: unknown, from?: string, headers: Record<string, string> = {}) =>
    call(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers }, ...(from === undefined ? {} : { from }) });
  return { proxy, app, server, call, post };
}

describe("the JSON API", () => {
  test("lists every server with its state, weights, address and check", async () => {
    const t = await setup("    stats admin if TRUE");
    const res = await t.call("/stats/api/servers");
    expect(res.status).toBe(200);
    const { servers } = (await res.json()) as { servers: Record<string, unknown>[] };
    expect(servers.map((s) => [s.backend, s.server, s.state, s.weight, s.address, s.port])).toEqual([
      ["be", "s1", "UP", 1, "127.0.0.1", 9101],
      ["be", "s2", "UP", 10, "127.0.0.1", 9102],
      ["be", "s3", "UP", 1, "127.0.0.1", 9103],
    ]);
    expect(servers[0]!.check).toBeNull();
    expect(servers[2]!.check).toEqual({ status: undefined, enabled: true } as unknown as Record<string, unknown>);
    await t.proxy.stop(0);
  });

  test("changes state, weight, address, checks and health through ServerOps; the runtime API's messages on refusal", async () => {
    const t = await setup("    stats admin if { src 127.0.0.1 }");
    const drained = await t.post("/stats/api/servers/be/s1", { state: "drain", weight: "50%" });
    expect(drained.status).toBe(200);
    expect(await drained.json()).toMatchObject({ backend: "be", server: "s1", state: "DRAIN", admin: "DRAIN", weight: 0 });
    expect(t.server("s1").state.admin).toBe("DRAIN");
    const moved = await t.post("/stats/api/servers/be/s2", { weight: 20, address: "127.0.0.2", port: 9999 });
    expect(await moved.json()).toMatchObject({ weight: 20, address: "127.0.0.2", port: 9999, messages: ["IP changed from '127.0.0.1' to '127.0.0.2', port changed from '9102' to '9999' by 'stats socket command'"] });
    const maint = await t.post("/stats/api/servers/be/s3", { state: "maint", checks: false });
    expect(await maint.json()).toMatchObject({ state: "MAINT", check: { enabled: false } });
    expect(await (await t.post("/stats/api/servers/be/s3", { state: "ready", health: "down" })).json()).toMatchObject({ state: "DOWN", admin: "READY" });

    const refused = async (body: unknown, error: string, status = 400) => {
      const res = await t.post("/stats/api/servers/be/s2", body);
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error });
    };
    await refused({ state: "off" }, "'set server <srv> state' expects 'ready', 'drain' and 'maint'.");
    await refused({ weight: "300" }, "Absolute weight can only be between 0 and 256 inclusive.");
    await refused({ weight: "5x" }, "Trailing garbage in weight string");
    await refused({ address: "backend.example" }, "Invalid addr 'backend.example' by 'stats socket command'");
    await refused({ port: 70000 }, "problem converting port '70000' to an int by 'stats socket command' (expected 1-65535)");
    await refused({ health: "stopping" }, "'set server <srv> health stopping' is not supported: sluice has no STOPPING state (use 'state drain').");
    await refused({ checks: true }, "Health check was not configured on this server, cannot enable.");
    await refused({ colour: "red" }, "unknown field 'colour' (expected state, weight, address, port, checks, health)");
    // A refused weight leaves the rest of the body unapplied.
    await refused({ state: "maint", weight: "-1" }, "Absolute weight can only be between 0 and 256 inclusive.");
    expect(t.server("s2").state.admin).toBe("READY");
    const notJson = await t.call("/stats/api/servers/be/s2", { method: "POST", body: "state=drain" });
    expect(notJson.status).toBe(400);
    expect((await t.post("/stats/api/servers/nope/s1", {})).status).toBe(404);
    expect(await (await t.post("/stats/api/servers/be/nope", {})).json()).toEqual({ error: "No such server." });
    expect((await t.call("/stats/api/servers/be/s1")).status).toBe(405);
    expect((await t.call("/stats/api/other")).status).toBe(404);
    expect((await t.post("/stats/api/servers/be/%zz", {})).status).toBe(400);
    const huge = await t.post("/stats/api/servers/be/s2", { state: "drain", pad: "x".repeat(70000) });
    expect(huge.status).toBe(413);
    expect(t.server("s2").state.admin).toBe("READY");
    const hugeForm = await t.call("/stats", { method: "POST", body: new URLSearchParams([["b", "be"], ["s", "s2"], ["action", "drain"], ["pad", "x".repeat(70000)]]) });
    expect(hugeForm.status).toBe(413);
    expect(t.server("s2").state.admin).toBe("READY");
    await t.proxy.stop(0);
  });

  test("stats admin decides per request: 403 when its condition says no or there is none; 401 first without stats auth", async () => {
    const t = await setup("    stats admin if { src 10.0.0.0/8 }");
    expect((await t.post("/stats/api/servers/be/s1", { state: "drain" })).status).toBe(403);
    expect((await t.post("/stats/api/servers/be/s1", { state: "drain" }, "10.1.2.3")).status).toBe(200);
    // Reading the list is no action: it needs no admin.
    expect((await t.call("/stats/api/servers")).status).toBe(200);

    const none = await setup("");
    expect((await none.post("/stats/api/servers/be/s1", { state: "drain" })).status).toBe(403);
    expect(none.server("s1").state.admin).toBe("READY");

    const acl = await setup("    acl ops hdr(x-ops) -m str yes\n    stats admin unless !ops || { method GET }");
    expect((await acl.post("/stats/api/servers/be/s1", { state: "drain" })).status).toBe(403);
    expect((await acl.post("/stats/api/servers/be/s1", { state: "drain" }, undefined, { "x-ops": "yes" })).status).toBe(200);

    // Several lines: any that holds allows.
    const two = await setup("    stats admin if { src 10.0.0.0/8 }\n    stats admin if { hdr(x-ops) yes }");
    expect((await two.post("/stats/api/servers/be/s1", { state: "drain" })).status).toBe(403);
    expect((await two.post("/stats/api/servers/be/s1", { state: "drain" }, "10.0.0.1")).status).toBe(200);
    expect((await two.post("/stats/api/servers/be/s2", { state: "drain" }, undefined, { "x-ops": "yes" })).status).toBe(200);

    const auth = await setup("    stats auth admin:secret\n    stats admin if TRUE");
    expect((await auth.post("/stats/api/servers/be/s1", { state: "drain" })).status).toBe(401);
    const basic = { authorization: "Basic " + btoa("admin:secret") };
    expect((await auth.post("/stats/api/servers/be/s1", { state: "drain" }, undefined, basic)).status).toBe(200);
    for (const p of [t, none, acl, two, auth]) await p.proxy.stop(0);
  });
});

describe("the page's admin forms", () => {
  test("a checkbox per server and the actions when admin is allowed; none otherwise", async () => {
    const t = await setup("    stats admin if { src 127.0.0.1 }");
    const html = await (await t.call("/stats")).text();
    expect(html).toContain('<form method="post" action="/stats">');
    expect(html).toContain('<input type="checkbox" name="s" value="s2">');
    expect(html).toContain('<input type="hidden" name="b" value="be">');
    expect(html).toContain('<option value="drain">Set state to DRAIN</option>');
    const outside = await (await t.call("/stats", { from: "192.0.2.1" })).text();
    expect(outside).not.toContain("<form");
    expect(outside).not.toContain('type="checkbox"');
    await t.proxy.stop(0);
  });

  test("a POST acts on the ticked servers and redirects with the result, which the page shows", async () => {
    const t = await setup("    stats admin if { src 127.0.0.1 }");
    const form = (fields: [string, string][], from?: string) =>
      t.call("/stats", { method: "POST", body: new URLSearchParams(fields), ...(from === undefined ? {} : { from }) });
    const done = await form([["b", "be"], ["s", "s1"], ["s", "s2"], ["action", "maint"]]);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/stats;st=DONE");
    expect([t.server("s1").state.admin, t.server("s2").state.admin, t.server("s3").state.admin]).toEqual(["MAINT", "MAINT", "READY"]);
    expect(await (await t.call("/stats;st=DONE")).text()).toContain('<p class="result ok">Action processed successfully.');
    expect((await form([["b", "be"], ["s", "s1"], ["action", "ready"]])).headers.get("location")).toBe("/stats;st=DONE");
    expect(t.server("s1").state.admin).toBe("READY");
    expect((await form([["b", "be"], ["s", "s1"], ["s", "ghost"], ["action", "drain"]])).headers.get("location")).toBe("/stats;st=PART");
    // Only unknown names: nothing could be changed, ERRP as HAProxy's page says.
    expect((await form([["b", "be"], ["s", "ghost"], ["action", "drain"]])).headers.get("location")).toBe("/stats;st=ERRP");
    expect((await form([["b", "be"], ["s", "s3"], ["action", "dhlth"]])).headers.get("location")).toBe("/stats;st=DONE");
    expect(t.server("s3").state.checksPaused).toBe(true);
    expect((await form([["b", "be"], ["action", "drain"]])).headers.get("location")).toBe("/stats;st=NONE");
    expect((await form([["b", "nope"], ["s", "s1"], ["action", "drain"]])).headers.get("location")).toBe("/stats;st=ERRP");
    expect(await (await t.call("/stats;st=ERRP")).text()).toContain('<p class="result failed">Action not processed');
    // HAProxy's older names, which it still takes (measured with 2.6.12: DONE): disable is maintenance, enable ready again.
    expect((await form([["b", "be"], ["s", "s1"], ["action", "disable"]])).headers.get("location")).toBe("/stats;st=DONE");
    expect(t.server("s1").state.admin).toBe("MAINT");
    expect((await form([["b", "be"], ["s", "s1"], ["action", "enable"]])).headers.get("location")).toBe("/stats;st=DONE");
    expect(t.server("s1").state.admin).toBe("READY");
    expect((await form([["b", "be"], ["s", "s1"], ["action", "frobnicate"]])).headers.get("location")).toBe("/stats;st=ERRP");
    expect((await form([["b", "be"], ["s", "s2"], ["action", "ready"]], "192.0.2.1")).status).toBe(403);
    expect(t.server("s2").state.admin).toBe("MAINT");
    await t.proxy.stop(0);
  });
});
