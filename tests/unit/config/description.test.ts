// `description` (global and proxies) and `node` (global): both syntaxes, the
// words joined as HAProxy joins them, where they are refused; and where they
// show: `show info`'s node and description, the stats page.
import { describe, expect, test } from "bun:test";
import { statsPage } from "../../../src/admin/page.ts";
import { proxyStats } from "../../../src/stats/proxy-source.ts";
import { memProxyConfig, memRuntime } from "../../support/mem-runtime.ts";
import { errorsOf, lines, loadOk } from "./helpers.ts";

const CFG = lines(
  "global",
  "    node edge-1",
  "    description Paris   edge \\#2",
  "frontend web",
  "    description public web entry",
  "    bind 127.0.0.1:8080",
  "    default_backend app",
  "backend app",
  "    description the app servers",
  "    server a 127.0.0.1:9000",
);

const YAML = `
global:
  node: edge-1
  description: "Paris edge #2"
frontends:
  web:
    description: public web entry
    bind: 127.0.0.1:8080
    default_backend: app
backends:
  app:
    description: the app servers
    servers:
      a: 127.0.0.1:9000
`;

describe("description and node", () => {
  test("haproxy.cfg and YAML give the same texts (the words joined by one space, '#' escaped in haproxy.cfg as HAProxy asks)", () => {
    for (const source of [{ name: "d.cfg", text: CFG.replace("Paris   edge", "Paris edge") }, { name: "d.yaml", text: YAML }]) {
      const config = loadOk(source);
      expect(config.global.node).toBe("edge-1");
      expect(config.global.description).toBe("Paris edge #2");
      expect(config.frontends[0]!.description).toBe("public web entry");
      expect(config.backends[0]!.description).toBe("the app servers");
    }
    expect(loadOk({ name: "d.cfg", text: CFG }).global.description).toBe("Paris edge #2");
  });

  test("not in defaults (as HAProxy), and a text is needed", () => {
    expect(errorsOf({ name: "x.cfg", text: lines("defaults", "    description all", "backend b", "    server a 127.0.0.1:1") })[0])
      .toContain("x.cfg:2: defaults: 'description' is not allowed in a defaults section");
    expect(errorsOf({ name: "y.cfg", text: lines("global", "    description", "backend b", "    server a 127.0.0.1:1") })[0])
      .toBe("y.cfg:2: global: missing argument for 'description' (usage: description <text>)");
  });

  test("show info has node and description; the stats page shows them and each proxy's", async () => {
    const proxy = await memProxyConfig(memRuntime(), CFG);
    const stats = proxyStats(proxy, { pid: 7, version: "0.1.0", hostname: "host-a" });
    const info = new Map(stats.info().map((f) => [f.name, f.value]));
    expect(info.get("node")).toBe("edge-1");
    expect(info.get("description")).toBe("Paris edge #2");
    const html = statsPage(stats.rows(), stats.info(), new Map(), { showLegends: false, hideVersion: true, uri: "/s" });
    expect(html).toContain("statistics on edge-1</h1>");
    expect(html).toContain(`<p class="desc">Paris edge #2</p>`);
    expect(html).toContain(`web <span class="desc">public web entry</span>`);
    expect(html).toContain(`app <span class="desc">the app servers</span>`);
    // Without a node, the host's name.
    const bare = await memProxyConfig(memRuntime(), lines("backend app", "    server a 127.0.0.1:9000"));
    expect(proxyStats(bare, { pid: 7, version: "0.1.0", hostname: "host-a" }).info().find((f) => f.name === "node")?.value).toBe("host-a");
  });
});
