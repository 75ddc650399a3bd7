// Bind options on the listening socket (issue 19, bindopts): HAProxy's IPv6
// any-address forms `:::PORT` and `[::]:PORT`, `v4v6` (IPv4 clients too) and
// `v6only` (IPv6 clients only), `name`. HAProxy 2.6 and sluice run the same
// file; each bind is tried over IPv4 (127.0.0.1) and IPv6 (::1). Deno.listen
// cannot set IPV6_V6ONLY: sluice on Deno refuses `v6only` at start, naming it.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { type Backend, freePort, nameBackend } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** What the proxy answers on host:port: the backend's name, or the connection error's code. */
function answer(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let got = "";
    s.on("data", (d) => (got += d.toString()));
    s.on("end", () => resolve(got));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.setTimeout(3000, () => {
      s.destroy();
      resolve("timeout");
    });
  });
}

const backends: Backend[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
});

describe("bind :::PORT, [::]:PORT, v4v6, v6only, name", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: v4v6 takes both families, v6only IPv6 only`, async () => {
      const backend = await nameBackend("be");
      backends.push(backend);
      const [dual, six, ready] = [await freePort(), await freePort(), await freePort()];
      const config = [
        "defaults",
        "    mode tcp",
        "    timeout connect 2s",
        "    timeout client 5s",
        "    timeout server 5s",
        "listen l",
        `    bind :::${dual} v4v6 name dual`,
        `    bind [::]:${six} v6only name six`,
        `    bind 127.0.0.1:${ready} name ready`,
        `    server s 127.0.0.1:${backend.port}`,
        "",
      ].join("\n");
      expect(proxy.loads(config)).toBeUndefined();
      if (proxy.name === "sluice deno") {
        await expect(proxy.start(config, [ready])).rejects.toThrow(/v6only cannot be applied under Deno/);
        return;
      }
      const run = await proxy.start(config, [dual, ready]);
      try {
        expect(await answer("127.0.0.1", dual)).toBe("be");
        expect(await answer("::1", dual)).toBe("be");
        expect(await answer("::1", six)).toBe("be");
        expect(await answer("127.0.0.1", six)).toBe("ECONNREFUSED");
        if (proxy.name.startsWith("sluice")) {
          expect(run.errLines()).toContain(`frontend 'l' listening on [::]:${dual} (bind 'dual')`);
          expect(run.errLines()).toContain(`frontend 'l' listening on [::]:${six} (bind 'six')`);
        }
      } finally {
        await run.stop();
      }
    }, 30000);
  }
});
